"""Teaching a model the writer\x27s voice: data, training (JAX, in a child process), export."""
