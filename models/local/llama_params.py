"""The llama.cpp parameters that ``llama_cpp.Llama()`` offers no argument for.

llama-cpp-python (0.3.x) fills ``llama_model_params`` and ``llama_context_params`` inside
``Llama.__init__`` from llama.cpp's default makers, so :func:`load_params` wraps those makers
for the duration of one load (loads happen on one thread):

- ``use_extra_bufts = False`` (safe mode): no AMX/repack weight buffers, which crash the first
  decode on some CPUs;
- ``n_seq_max`` and ``kv_unified``: several sequences in one batch (batched alternatives). A
  unified KV cache lets the sequences share the prompt's cells, and every sequence may use the
  whole window; without it ``llama_decode`` finds no slot for a second sequence.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


@contextlib.contextmanager
def load_params(*, extra_bufts: bool, n_seq_max: int) -> Iterator[None]:
    import llama_cpp.llama_cpp as lib  # the namespace llama.py calls them through

    model_default = lib.llama_model_default_params
    context_default = lib.llama_context_default_params

    def model_params() -> object:
        p = model_default()
        if not extra_bufts:
            p.use_extra_bufts = False
        return p

    def context_params() -> object:
        p = context_default()
        if n_seq_max > 1:
            p.n_seq_max = n_seq_max
            p.kv_unified = True
        return p

    lib.llama_model_default_params = model_params
    lib.llama_context_default_params = context_params
    try:
        yield
    finally:
        lib.llama_model_default_params = model_default
        lib.llama_context_default_params = context_default


def free_sampler(llm: object) -> None:
    """Free the sampler llama-cpp-python made for the last ``generate`` now, not at some GC.

    A ``LlamaSampler`` sits in a reference cycle (it and its ExitStack callback), so only
    Python's cyclic GC frees it, and with it ~0.6 MB of native buffers (GPT-2's vocabulary):
    without this, bench/soak.py's RSS grows ~30 MB over a few thousand generations.
    """
    sampler = getattr(llm, "_sampler", None)
    if sampler is not None and hasattr(sampler, "close"):
        llm._sampler = None  # type: ignore[attr-defined]  # sample() makes one when needed
        sampler.close()
