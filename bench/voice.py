"""Teaching a voice: speed and peak memory of training a gpt2-small-shaped model (random
weights), and the pipeline against JAX + optax's own plain training loop, in one run.

    uv run python bench/voice.py [--steps 8] [--seq 256] [--skip-full]

Batch 1, window ``--seq``. Each measurement runs in a fresh process; its peak RSS is read by a
small wrapper process (``ru_maxrss`` of its one child), so no parent's memory is counted.
- pipeline: the real worker (``python -m models.voice.worker``: events, evaluation, checkpoint);
- plain: the same model and optax AdamW in a bare ``jit``-ed loop, nothing else (no clipping,
  schedule, donation, events or checkpoints).
tokens/s leaves out the first step (compilation). The machine is shared: compare the ratios.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WRAPPER = """
import resource, subprocess, sys, json
out = subprocess.run(sys.argv[1:], capture_output=True, text=True)
sys.stderr.write(out.stderr[-2000:] if out.returncode else "")
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
print(json.dumps({"rc": out.returncode, "peak": peak, "stdout": out.stdout}))
"""
PLAIN = """
import sys, time, json
sys.path[:0] = [{root!r}]
import numpy as np, jax, jax.numpy as jnp, optax
from pathlib import Path
from models.voice import gpt2, state
config, base_np = state.load_base(Path({src!r}))
seq, full = {seq}, {full}
shape = gpt2.Shape.of(config, remat=full)
base = {{k: jnp.asarray(v) for k, v in base_np.items()}}
params = base if full else gpt2.init_lora(base_np, config.n_layer, 16, 0)
fixed = {{}} if full else base
del base_np, base
tx = optax.adamw(5e-4)
opt = tx.init(params)
def f(p, b, w):
    return gpt2.loss(p, None, w, shape, 2.0) if full else gpt2.loss(b, p, w, shape, 2.0)
@jax.jit
def step(p, o, b, w):
    v, g = jax.value_and_grad(f)(p, b, w)
    u, o = tx.update(g, o, p)
    return optax.apply_updates(p, u), o, v
data = np.random.default_rng(0).integers(0, config.n_vocab, 100_000).astype(np.int32)
t0 = None
for i in range({steps}):
    if i == 1:
        t0 = time.monotonic()
    w = jnp.asarray(data[i * seq : i * seq + seq + 1])[None]
    params, opt, v = step(params, opt, fixed, w)
    float(v)
print(json.dumps({{"tok_s": ({steps} - 1) * seq / (time.monotonic() - t0)}}))
"""


def measure(command: list[str]) -> dict[str, object]:
    res = subprocess.run(
        [sys.executable, "-c", WRAPPER, *command], capture_output=True, text=True, check=True
    )
    data: dict[str, object] = json.loads(res.stdout)
    if data["rc"]:
        raise SystemExit(f"failed: {' '.join(command)}\n{res.stderr}")
    return data


def plain(src: Path, seq: int, steps: int, full: bool) -> tuple[float, int]:
    code = PLAIN.format(root=str(ROOT), src=str(src), seq=seq, steps=steps, full=full)
    data = measure([sys.executable, "-c", code])
    out = json.loads(str(data["stdout"]).strip().splitlines()[-1])
    return float(out["tok_s"]), int(data["peak"])  # type: ignore[call-overload]


def pipeline(src: Path, work: Path, seq: int, steps: int, full: bool) -> tuple[float, int]:
    import numpy as np

    from models.voice.job import Job

    work.mkdir(parents=True, exist_ok=True)
    tokens = np.random.default_rng(0).integers(0, 50257, steps * seq + seq + 2).astype(np.int32)
    np.savez(work / "data.npz", train=tokens, held=tokens[: seq + 1])
    per_epoch = max(1, (len(tokens) - seq - 1) // seq + 1)
    Job(
        str(src),
        full=full,
        seq=seq,
        epochs=steps / per_epoch,
        eval_every=10**6,
        patience=0,
        nice=0,
        lr=5e-4,
    ).write(work)
    data = measure([sys.executable, "-m", "models.voice.worker", str(work)])
    events = [json.loads(line) for line in str(data["stdout"]).splitlines() if line.strip()]
    rates = [e["tok_s"] for e in events if e["event"] == "step"]
    return float(rates[-1]), int(data["peak"])  # type: ignore[call-overload]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--seq", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=2, help="plain/pipeline pairs, interleaved")
    parser.add_argument("--skip-full", action="store_true")
    args = parser.parse_args()
    sys.path[:0] = [str(ROOT)]
    from statistics import median

    from tests.support.tinymodel import make_checkpoint

    gb = 1e9
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.monotonic()
        src = make_checkpoint(Path(tmp) / "gpt2-small", n_embd=768, n_layer=12, n_head=12)
        print(f"gpt2-small-shaped checkpoint made in {time.monotonic() - t0:.0f} s", flush=True)
        ratios = []
        for r in range(args.rounds):
            p_rate, p_peak = plain(src, args.seq, args.steps, False)
            w_rate, w_peak = pipeline(src, Path(tmp) / f"lora{r}", args.seq, args.steps, False)
            ratios.append(w_rate / p_rate)
            print(
                f"round {r + 1}: LoRA r16 plain {p_rate:6.1f} tok/s (peak {p_peak / gb:.2f} GB), "
                f"pipeline {w_rate:6.1f} tok/s (peak {w_peak / gb:.2f} GB): "
                f"{w_rate / p_rate:.2f}x",
                flush=True,
            )
        print(f"LoRA pipeline / plain, median of {args.rounds}: {median(ratios):.2f}x")
        if not args.skip_full:
            f_rate, f_peak = pipeline(src, Path(tmp) / "full", args.seq, args.steps, True)
            print(f"full FT    pipeline    {f_rate:6.1f} tok/s  peak {f_peak / gb:.2f} GB")


if __name__ == "__main__":
    main()
