"""The end of training: the best checkpoint merged into the base, quantized and stored as a
model like any other, with its metadata (and, on request, a llama.cpp LoRA adapter)."""

from __future__ import annotations

import json
import math
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from models.errors import QuillpenError
from models.voice import place
from models.voice.job import Job

Event = dict[str, Any]


def finish(
    name: str,
    done: Event,
    *,
    adapter: bool = False,
    notify: Callable[[str], None] = lambda _m: None,
) -> Path:
    """Merge the best checkpoint into the base, store it as model ``name``, write its metadata;
    with ``adapter``, also keep the LoRA pairs as a llama.cpp adapter. Returns the model path."""
    import jax

    from models.voice import export, gpt2, state

    work = place.workdir(name)
    job = Job.read(work)
    info = json.loads((work / "corpus.json").read_text(encoding="utf-8"))
    config, base = state.load_base(Path(job.base_dir))
    saved = state.load(work, "best")
    if saved is None:
        raise QuillpenError(f"no checkpoint to export in {work}")
    leaves, best = saved
    template: Any = base if job.full else gpt2.init_lora(base, config.n_layer, job.rank, job.seed)
    trainable = jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(template), leaves)
    scale = job.alpha / job.rank
    weights = (
        {k: np.asarray(v) for k, v in trainable.items()}
        if job.full
        else gpt2.merged(base, trainable, scale)
    )
    folder = place.model_file(name, "X").parent
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.gguf"):
        old.unlink()
    notify(f"storing {name} as {info['quant']}…")
    merged_dir = export.write_checkpoint(Path(job.base_dir), weights, work / "merged")
    try:
        path, quant = export.to_gguf(
            merged_dir,
            place.model_file(name, info["quant"]),
            info["quant"],
            config.n_embd,
            name=name,
        )
    finally:
        shutil.rmtree(merged_dir, ignore_errors=True)
    adapter_path = None
    if adapter:
        if job.full:
            raise QuillpenError(
                "--adapter needs LoRA training (not --full): the model is stored merged"
            )
        adapter_path = export.write_adapter(
            folder / f"{folder.name}.adapter.gguf", trainable, job.alpha, name
        )
        export.check_adapter(adapter_path, work / f"base.{info['quant']}.gguf")
    raw = best.get("loss")
    loss = float(raw) if raw is not None and math.isfinite(raw) else None
    finite = loss is not None
    meta = {
        "voice": True,
        "name": name,
        "base": info["base"],
        "base_dir": job.base_dir,
        "base_gguf": str(next(work.glob("base.*.gguf"), "")),
        "quant": quant,
        "mode": "full" if job.full else f"lora r{job.rank}",
        "corpus": {
            k: info[k]
            for k in (
                "size",
                "sha256",
                "files",
                "pieces",
                "held_out_pieces",
                "train_tokens",
                "held_tokens",
            )
        },
        "steps": done.get("step"),
        "best_step": best.get("step"),
        "stopped": done.get("reason"),
        "held_out_loss": loss if finite else None,
        "held_out_perplexity": math.exp(loss) if loss is not None else None,
        "lr": job.lr,
        "window": job.seq,
        "adapter": str(adapter_path) if adapter_path else None,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    export.write_meta(place.meta_path(name), meta)
    return path
