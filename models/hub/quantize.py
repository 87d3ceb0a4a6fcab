"""Make a smaller GGUF from an F16/F32 one with llama.cpp's own quantizer."""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

from models.errors import QuillpenError

# K-quants pack rows in blocks of 256; narrower models use the nearest classic type.
K_QUANT_FALLBACK = {"Q4_K_M": "Q5_0", "Q5_K_M": "Q5_1"}


def ftype_for(quant: str) -> int:
    import llama_cpp

    return int(getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{quant.upper()}"))


def effective_quant(quant: str, n_embd: int) -> tuple[str, str | None]:
    """(quant to use, notice or None): K-quants need a width that is a multiple of 256."""
    quant = quant.upper()
    if quant in K_QUANT_FALLBACK and n_embd % 256:
        fallback = K_QUANT_FALLBACK[quant]
        return fallback, (
            f"{quant} needs a model width divisible by 256 (this one is {n_embd}); "
            f"using {fallback} instead"
        )
    return quant, None


def quantize(src: Path, dst: Path, quant: str, *, threads: int | None = None) -> Path:
    """Quantize ``src`` into ``dst`` (written as a temp file, renamed when complete)."""
    import llama_cpp

    from models.llama_logs import route_llama_logs
    from models.stats import available_threads

    route_llama_logs()
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = ftype_for(quant)
    params.nthread = threads or available_threads()
    dst = Path(dst)
    partial = dst.with_name(dst.name + ".partial")
    rc = llama_cpp.llama_model_quantize(
        str(src).encode(), str(partial).encode(), ctypes.byref(params)
    )
    if rc != 0 or not partial.exists():
        partial.unlink(missing_ok=True)
        raise QuillpenError(
            f"llama.cpp could not quantize {src} to {quant} (error {rc}; is the disk full?)"
        )
    os.replace(partial, dst)
    return dst
