"""Sampling one sequence's next token from a row of logits, outside ``Llama.generate``.

Used by :mod:`models.local.batch`, which decodes several sequences per step and may roll one back.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from typing import TYPE_CHECKING

from models.sampling import SamplerSettings

if TYPE_CHECKING:
    import numpy as np


class Sampler:
    """One sequence's sampler; ``seed`` makes it reproducible.

    The same as ``Llama.generate``'s: the repeat penalty over the sequence's own generated
    tokens (never the prompt's, as there), then llama.cpp's chain of top-k, typical (off),
    top-p, min-p, temperature and dist. The penalty is applied here, in numpy, to the repeated
    tokens only: cheap, and a rollback rewinds it with the token list. Bans are -inf logits.
    """

    def __init__(self, settings: SamplerSettings, seed: int, template: np.ndarray) -> None:
        import llama_cpp
        import numpy as np

        lib = llama_cpp
        self.chain = lib.llama_sampler_chain_init(lib.llama_sampler_chain_default_params())
        t = settings.temperature
        parts = (
            [lib.llama_sampler_init_dist(seed)]
            if t < 0
            else [lib.llama_sampler_init_greedy()]
            if t == 0
            else [
                lib.llama_sampler_init_top_k(settings.top_k),
                lib.llama_sampler_init_typical(1.0, 1),
                lib.llama_sampler_init_top_p(settings.top_p, 1),
                lib.llama_sampler_init_min_p(settings.min_p, 1),
                lib.llama_sampler_init_temp(t),
                lib.llama_sampler_init_dist(seed),
            ]
        )
        for part in parts:
            lib.llama_sampler_chain_add(self.chain, part)
        self.repeat = settings.repeat_penalty
        self.last_n = settings.repeat_last_n
        self.template = template
        n_vocab = len(template) // 3
        self._data = (lib.llama_token_data * n_vocab)()
        words = ctypes.cast(self._data, ctypes.POINTER(ctypes.c_int32))
        self.raw: np.ndarray = np.ctypeslib.as_array(words, shape=(3 * n_vocab,))  # id, logit, p
        self.logits: np.ndarray = self.raw.view(np.float32)[1::3]
        self._ptr = ctypes.cast(self._data, ctypes.POINTER(lib.llama_token_data))
        self._array = lib.llama_token_data_array(self._ptr, n_vocab, -1, False)
        self._apply = lib.llama_sampler_apply
        self._n_vocab = n_vocab

    def sample(self, logits: np.ndarray, history: Sequence[int], banned: np.ndarray) -> int:
        """The next token from ``logits`` (one row, raw); ``banned`` ids get -inf."""
        import numpy as np

        np.copyto(self.raw, self.template)  # a plain copy (a structured one is 20× slower)
        lg = self.logits
        lg[:] = logits
        if self.repeat != 1.0 and self.last_n > 0 and history:
            seen = np.unique(np.asarray(history[-self.last_n :], dtype=np.int64))
            v = lg[seen]
            lg[seen] = np.where(v <= 0, v * self.repeat, v / self.repeat)
        if len(banned):
            lg[banned] = -np.inf
        array = self._array
        array.data = self._ptr  # type: ignore[assignment]  # (a sampler may have moved it)
        array.size, array.selected, array.sorted = self._n_vocab, -1, False
        self._apply(self.chain, ctypes.byref(array))
        return int(array.data[array.selected].id)

    def close(self) -> None:
        import llama_cpp

        if self.chain is not None:
            llama_cpp.llama_sampler_free(self.chain)
            self.chain = None


def candidates_template(n_vocab: int) -> np.ndarray:
    """What a sampler's candidates are reset to before each token, as the int32 words of
    ``llama_token_data[n_vocab]`` (id, logit, p): ids in order, logits and p 0."""
    import llama_cpp
    import numpy as np

    assert ctypes.sizeof(llama_cpp.llama_token_data) == 12  # int32, float, float
    template = np.zeros(3 * n_vocab, dtype=np.int32)
    template[0::3] = np.arange(n_vocab)
    return template
