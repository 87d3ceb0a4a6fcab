"""The local engine: llama.cpp in a child process, and everything that runs a GGUF."""
