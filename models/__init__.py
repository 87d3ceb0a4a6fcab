"""quillpen's model layer: catalog, Hub download, GGUF conversion, quantization, engine.

Nothing here imports Textual or ``tui``; every module is usable from a script.
"""
