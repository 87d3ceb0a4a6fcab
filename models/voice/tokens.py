"""Tokenizing with llama.cpp's own tokenizer (vocabulary only), so training sees exactly the
tokens the quantized model will see: GPT-2's BPE, or the UER models' WordPiece."""

from __future__ import annotations

import ctypes
from pathlib import Path
from typing import Any

import numpy as np

from models.errors import QuillpenError


class Tokenizer:
    """The vocabulary of a GGUF file, loaded without its weights."""

    def __init__(self, gguf_path: Path) -> None:
        import llama_cpp

        from models.llama_logs import route_llama_logs

        route_llama_logs()
        params = llama_cpp.llama_model_default_params()
        params.vocab_only = True
        self._model: Any = llama_cpp.llama_model_load_from_file(str(gguf_path).encode(), params)
        if not self._model:
            raise QuillpenError(f"{gguf_path}: llama.cpp could not read its vocabulary")
        self._vocab = llama_cpp.llama_model_get_vocab(self._model)
        self.wordpiece = llama_cpp.llama_vocab_type(self._vocab) == llama_cpp.LLAMA_VOCAB_TYPE_WPM
        self.eot = int(llama_cpp.llama_vocab_eos(self._vocab))
        """Between pieces: end-of-text (GPT-2) or [SEP] (WordPiece)."""

    def encode(self, text: str) -> list[int]:
        import llama_cpp

        data = text.encode("utf-8")
        size = len(data) + 16
        buf = (llama_cpp.llama_token * size)()
        n = llama_cpp.llama_tokenize(self._vocab, data, len(data), buf, size, False, False)
        if n < 0:
            raise QuillpenError("llama.cpp could not tokenize the text")
        return list(buf[:n])

    def decode(self, tokens: list[int]) -> str:
        import llama_cpp

        out = bytearray()
        buf = ctypes.create_string_buffer(256)
        for token in tokens:
            n = llama_cpp.llama_token_to_piece(self._vocab, token, buf, 256, 0, False)
            out += buf.raw[: max(n, 0)]
        text = out.decode("utf-8", "replace")
        if self.wordpiece:
            from models.prompting.cjk import join_cjk

            text = join_cjk(text)
        return text

    def pack(self, pieces: list[str]) -> np.ndarray:
        """The pieces' tokens, each followed by the end-of-text token."""
        ids: list[int] = []
        for piece in pieces:
            ids += self.encode(piece)
            ids.append(self.eot)
        return np.asarray(ids, np.int32)

    def close(self) -> None:
        import llama_cpp

        if self._model:
            llama_cpp.llama_model_free(self._model)
            self._model = None
