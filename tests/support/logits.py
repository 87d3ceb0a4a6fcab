"""Raw next-token logits from a loaded model, to compare a conversion with its reference."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from models.local.llama_model import LlamaModel


def next_logits(model: LlamaModel, prompt: str | Sequence[int]) -> np.ndarray:
    """The logits after ``prompt`` (fitted to the window), as float32."""
    import llama_cpp

    tokens = model.fit(prompt, 1).tokens
    with model.lock:
        llm: Any = model.llm
        llm.reset()
        llm.eval(tokens)
        ptr = llama_cpp.llama_get_logits_ith(llm.ctx, -1)
        return np.ctypeslib.as_array(ptr, shape=(llm.n_vocab(),)).astype(np.float32)
