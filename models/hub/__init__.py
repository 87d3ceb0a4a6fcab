"""Getting models: the catalog, Hub downloads, checkpoint conversion, quantization, the local
cache."""
