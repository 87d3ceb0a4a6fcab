"""The trained voice as GGUF: merged into the base and quantized, and optionally a LoRA adapter.

The adapter follows llama.cpp's format for GPT-2 (``general.type = adapter``,
``adapter.type = lora``, ``adapter.lora.alpha``; tensors ``blk.N.<target>.weight.lora_a`` and
``.lora_b`` in peft's orientation, numpy ``(r, in)`` and ``(out, r)``). llama-cpp-python does not
detect an adapter that llama.cpp rejects (the first decode then crashes), so
:func:`check_adapter` compares every shape with the model's before anything loads it.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import gguf
import numpy as np

from models.errors import QuillpenError
from models.hub import convert, quantize

GGUF_TARGETS = {
    "attn.c_attn": "attn_qkv",
    "attn.c_proj": "attn_output",
    "mlp.c_fc": "ffn_up",
    "mlp.c_proj": "ffn_down",
}
DIRECT = {"F32": "f32", "F16": "f16", "Q8_0": "q8_0"}
TOKENIZER_FILES = (
    "vocab.json",
    "merges.txt",
    "vocab.txt",
    "tokenizer_config.json",
    "special_tokens_map.json",
)


def write_checkpoint(base_dir: Path, weights: Mapping[str, np.ndarray], out: Path) -> Path:
    """A Hub-layout checkpoint of ``weights`` with the base's config and tokenizer files."""
    from safetensors.numpy import save_file

    out.mkdir(parents=True, exist_ok=True)
    try:
        tensors = {k: np.ascontiguousarray(v, np.float32) for k, v in weights.items()}
        save_file(tensors, str(out / "model.safetensors"), metadata={"format": "pt"})
        shutil.copyfile(base_dir / "config.json", out / "config.json")
        for name in TOKENIZER_FILES:
            if (base_dir / name).is_file():
                shutil.copyfile(base_dir / name, out / name)
    except OSError as exc:
        raise QuillpenError(
            f"could not write {out}: {exc.strerror or exc} (is the disk full?)"
        ) from None
    return out


def to_gguf(src: Path, out: Path, quant: str, n_embd: int, *, name: str) -> tuple[Path, str]:
    """Convert checkpoint ``src`` to ``out`` at ``quant`` (K-quants fall back on narrow
    models); returns the path written and the quant used."""
    actual, _ = quantize.effective_quant(quant, n_embd)
    if actual != quant:
        out = out.with_name(out.name.replace(f".{quant}.", f".{actual}."))
    if actual in DIRECT:
        return convert.convert(src, out, DIRECT[actual], name=name), actual
    f16 = out.with_name(out.name + ".f16.tmp")
    try:
        convert.convert(src, f16, "f16", name=name)
        quantize.quantize(f16, out, actual)
    finally:
        f16.unlink(missing_ok=True)
    return out, actual


def write_adapter(path: Path, lora: Mapping[str, Any], alpha: float, name: str) -> Path:
    """The LoRA pairs as a llama.cpp adapter GGUF (F32), written atomically."""
    partial = path.with_name(path.name + ".partial")
    try:
        writer = gguf.GGUFWriter(str(partial), "gpt2")
        writer.add_string("general.type", "adapter")
        writer.add_name(name)
        writer.add_string("adapter.type", "lora")
        writer.add_float32("adapter.lora.alpha", float(alpha))
        for hub, pair in sorted(lora.items(), key=lambda kv: _layer_order(kv[0])):
            layer, target = hub.removeprefix("h.").split(".", 1)
            stem = f"blk.{layer}.{GGUF_TARGETS[target]}.weight"
            writer.add_tensor(stem + ".lora_a", np.ascontiguousarray(pair["a"], np.float32))
            writer.add_tensor(stem + ".lora_b", np.ascontiguousarray(pair["b"], np.float32))
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        partial.replace(path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise QuillpenError(f"could not write {path}: {exc.strerror or exc}") from None
    return path


def _layer_order(hub: str) -> tuple[int, str]:
    layer, target = hub.removeprefix("h.").split(".", 1)
    return int(layer), target


def check_adapter(adapter: Path, model: Path) -> None:
    """Raise a clear error unless every pair of ``adapter`` fits a weight of ``model``."""
    from models.local.gguf_info import header

    fields, adapter_shapes = header(adapter)
    if fields.get("general.type") != "adapter" or fields.get("adapter.type") != "lora":
        raise QuillpenError(f"{adapter}: not a LoRA adapter (general.type is not 'adapter')")
    shapes = header(model)[1]
    pairs: dict[str, dict[str, list[int]]] = {}
    for name, dims in adapter_shapes.items():
        stem, _, part = name.rpartition(".")
        pairs.setdefault(stem, {})[part] = dims
    for stem, pair in pairs.items():
        if stem not in shapes or set(pair) != {"lora_a", "lora_b"}:
            raise QuillpenError(f"{adapter}: {stem} has no matching weight in {model.name}")
        n_in, n_out = shapes[stem][0], shapes[stem][1]
        a, b = pair["lora_a"], pair["lora_b"]
        if a[0] != n_in or b[1] != n_out or a[1] != b[0]:
            raise QuillpenError(
                f"{adapter}: {stem} lora_a {a} / lora_b {b} do not fit the weight "
                f"[{n_in}, {n_out}] of {model.name}: llama.cpp would reject it"
            )


def write_meta(path: Path, meta: Mapping[str, Any]) -> None:
    partial = path.with_name(path.name + ".partial")
    try:
        partial.write_text(json.dumps(meta, indent=1), encoding="utf-8")
        partial.replace(path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise QuillpenError(f"could not write {path}: {exc.strerror or exc}") from None
