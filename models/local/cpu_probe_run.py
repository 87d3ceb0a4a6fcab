"""The CPU probe's child: quantize a tiny model and decode with llama.cpp's extra buffer types.

Started by :func:`models.local.cpu_probe.run_probe` (:mod:`models.child_python`); a crash
here (AMX on some CPUs) ends only this process, and tells the parent to use safe mode.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
from pathlib import Path

from models.native_crash import segfault


def write_probe_checkpoint(dest: Path, n_embd: int = 256) -> Path:
    """A 1-layer GPT-2 with random weights and a byte-level vocabulary, in the Hub's layout.

    256 wide, so that K-quants apply and llama.cpp repacks its weights as it would a real one.
    """
    import numpy as np
    from safetensors.numpy import save_file

    dest.mkdir(parents=True, exist_ok=True)
    printable = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAD), *range(0xAE, 0x100)]
    chars = list(printable)
    extra = 0
    for b in range(256):
        if b not in printable:
            chars.append(256 + extra)
            extra += 1
    tokens = [*(chr(c) for c in chars), "\u0120t", "<|endoftext|>"]
    rng = np.random.default_rng(0)
    e, n_ctx = n_embd, 64

    def w(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) * 0.05).astype(np.float32)

    tensors = {"wte.weight": w(len(tokens), e), "wpe.weight": w(n_ctx, e)}
    tensors |= {"ln_f.weight": 1 + w(e), "ln_f.bias": w(e)}
    for name, shape in {
        "ln_1.weight": (e,),
        "ln_1.bias": (e,),
        "attn.c_attn.weight": (e, 3 * e),
        "attn.c_attn.bias": (3 * e,),
        "attn.c_proj.weight": (e, e),
        "attn.c_proj.bias": (e,),
        "ln_2.weight": (e,),
        "ln_2.bias": (e,),
        "mlp.c_fc.weight": (e, 4 * e),
        "mlp.c_fc.bias": (4 * e,),
        "mlp.c_proj.weight": (4 * e, e),
        "mlp.c_proj.bias": (e,),
    }.items():
        norm_gain = name.startswith("ln_") and name.endswith(".weight")
        tensors[f"h.0.{name}"] = w(*shape) + (1 if norm_gain else 0)
    save_file(tensors, str(dest / "model.safetensors"))
    config = {"model_type": "gpt2", "vocab_size": len(tokens), "n_positions": n_ctx}
    config |= {"n_embd": e, "n_layer": 1, "n_head": 4}
    (dest / "config.json").write_text(json.dumps(config))
    (dest / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(tokens)}))
    (dest / "merges.txt").write_text("#version: 0.2\n\u0120 t\n")
    return dest


def probe_main() -> int:
    """Quantize a tiny model and decode with extra buffer types; a crash ends this process."""
    from models.hub.convert import convert
    from models.hub.quantize import quantize
    from models.local.engine import Engine
    from models.sampling import SamplerSettings

    if os.environ.get("QUILLPEN_TEST_CRASH", "").split(":")[0] == "probe":
        segfault()
    with tempfile.TemporaryDirectory(prefix="quillpen-probe-") as tmp:
        folder = write_probe_checkpoint(Path(tmp) / "ckpt")
        f16 = convert(folder, Path(tmp) / "probe.f16.gguf", "f16")
        for quant in ("Q8_0", "Q4_K_M"):
            path = quantize(f16, Path(tmp) / f"probe.{quant}.gguf", quant)
            engine = Engine.load(path, extra_bufts=True)
            engine.complete("a tiny probe", SamplerSettings(seed=1), max_tokens=4)
            engine.close()
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    sys.exit(probe_main())
