"""The remote engine: an OpenAI-compatible server (llama.cpp's, llama-cpp-python's, vLLM…) behind
the engine contract."""
