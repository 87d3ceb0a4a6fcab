"""The training loop, run as ``python -m models.voice.worker WORKDIR`` in a child process.

It reads ``job.json`` and ``data.npz`` from WORKDIR and writes one JSON object per line to
stdout: ``start``, ``step``, ``eval``, ``sample``, ``done`` (or ``error``). SIGINT or SIGTERM end
it after the current step, with the best checkpoint kept. State is saved atomically
(:mod:`models.voice.state`): ``last`` at least every ``checkpoint_seconds`` and at each
evaluation, ``best`` whenever held-out loss improves. With ``resume`` it continues from
``last``: the same step count, optimizer moments and data order.
"""

from __future__ import annotations

import functools
import json
import math
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from models.errors import QuillpenError
from models.voice import state
from models.voice.job import Job

_stop = False
_next_logits: Any = None


def emit(event: str, **fields: Any) -> None:
    sys.stdout.write(json.dumps({"event": event, **fields}) + "\n")
    sys.stdout.flush()


def _on_signal(signum: int, frame: object) -> None:
    global _stop
    _stop = True


PLATFORMS = {"gpu": "cuda"}
"""``--device`` names to JAX's platform names (JAX_PLATFORMS)."""


def _check_device(device: str) -> None:
    """A clear error when ``--device`` names a backend this JAX build lacks."""
    import jax

    try:
        found = jax.devices()
    except Exception as exc:  # RuntimeError, or an AssertionError when no platform is left
        why = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise QuillpenError(
            f"--device {device}: this JAX build cannot use it ({why}); see docs/gpu.md"
        ) from None
    emit("device", name=f"{found[0].platform} ({len(found)} device(s))")


def window_starts(n_tokens: int, seq: int, epoch: int, seed: int) -> np.ndarray:
    """Where each training window of ``epoch`` starts: every ``seq`` tokens from an offset
    that changes each epoch, in a shuffled order (both from ``seed + epoch``: resumable)."""
    rng = np.random.default_rng(seed + epoch)
    span = n_tokens - seq - 1
    offset = int(rng.integers(0, min(seq, span) + 1)) if span > 0 else 0
    starts = np.arange(offset, span + 1, seq)
    if len(starts) == 0:
        starts = np.array([0])
    return rng.permutation(starts)


def eval_windows(held: np.ndarray, seq: int, limit: int) -> list[np.ndarray]:
    """Non-overlapping windows of the held-out tokens (at most ``limit``)."""
    if len(held) < 2:
        return []
    if len(held) <= seq + 1:
        return [held]
    return [held[i : i + seq + 1] for i in range(0, len(held) - seq, seq)][:limit]


def main(workdir: Path) -> int:
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    job = Job.read(workdir)
    if job.nice:
        os.nice(job.nice)
    if job.device != "auto":
        os.environ["JAX_PLATFORMS"] = PLATFORMS.get(job.device, job.device)
    try:
        _check_device(job.device)
        return _train(workdir, job)
    except QuillpenError as exc:
        emit("error", message=str(exc))
        return 1


def _train(workdir: Path, job: Job) -> int:
    import jax
    import jax.numpy as jnp

    from models.voice import gpt2
    from models.voice.optimizer import make_optimizer

    config, base_np = state.load_base(Path(job.base_dir))
    with np.load(workdir / "data.npz") as data:
        train, held = data["train"].astype(np.int32), data["held"].astype(np.int32)
    shape = gpt2.Shape.of(config, remat=job.full)
    seq = job.seq
    scale = job.alpha / job.rank
    base = {k: jnp.asarray(v) for k, v in base_np.items()}
    trainable: Any = (
        base if job.full else gpt2.init_lora(base_np, config.n_layer, job.rank, job.seed)
    )
    del base_np
    tx = make_optimizer(job.lr)
    opt_state = tx.init(trainable)
    treedef = jax.tree_util.tree_structure((trainable, opt_state))
    per_epoch = len(window_starts(len(train), seq, 0, job.seed))
    total = max(1, math.ceil(job.epochs * per_epoch))
    step, elapsed, best_loss, best_step, since_best = 0, 0.0, math.inf, 0, 0
    train_loss: float | None = None
    saved = state.load(workdir, "last") if job.resume else None
    if saved is not None:
        leaves, info = saved
        trainable, opt_state = jax.tree_util.tree_unflatten(
            treedef, [jnp.asarray(x) for x in leaves]
        )
        step, elapsed = int(info["step"]), float(info["elapsed"])
        best_loss, best_step = float(info["best_loss"]), int(info["best_step"])
        since_best, train_loss = int(info["since_best"]), info.get("train_loss")

    frozen: Any = {} if job.full else base  # an argument of the jitted step, not a constant
    del base

    def train_loss_of(params: Any, fixed: Any, window: jax.Array) -> jax.Array:
        if job.full:
            return gpt2.loss(params, None, window, shape, scale)
        return gpt2.loss(fixed, params, window, shape, scale)

    @functools.partial(jax.jit, donate_argnums=(0, 1))  # updated in place: no second copy
    def train_step(
        params: Any, opt: Any, fixed: Any, window: jax.Array
    ) -> tuple[Any, Any, jax.Array]:
        import optax

        value, grads = jax.value_and_grad(train_loss_of)(params, fixed, window)
        updates, opt = tx.update(grads, opt, params)
        return optax.apply_updates(params, updates), opt, value

    eval_jit = jax.jit(train_loss_of)

    def eval_loss(params: Any, window: jax.Array) -> jax.Array:
        return eval_jit(params, frozen, window)

    windows = eval_windows(held, seq, job.eval_windows)

    def held_out_loss(params: Any) -> float | None:
        if not windows:
            return None
        total_nats = sum(
            float(eval_loss(params, jnp.asarray(w)[None])) * (len(w) - 1) for w in windows
        )
        return total_nats / sum(len(w) - 1 for w in windows)

    def snapshot(name: str) -> None:
        leaves = jax.tree_util.tree_leaves((trainable, opt_state))
        info = {
            "step": step,
            "elapsed": elapsed,
            "best_loss": best_loss,
            "best_step": best_step,
            "since_best": since_best,
            "train_loss": train_loss,
        }
        state.save(workdir, name, leaves, info)

    def save_best() -> None:
        state.save(
            workdir, "best", jax.tree_util.tree_leaves(trainable), {"step": step, "loss": best_loss}
        )

    emit(
        "start",
        step=step,
        total=total,
        per_epoch=per_epoch,
        seq=seq,
        train_tokens=len(train),
        held_tokens=len(held),
        resumed=saved is not None,
        train_loss=train_loss,
    )
    if saved is None:
        first = held_out_loss(trainable)
        best_loss = first if first is not None else math.inf
        save_best()
        emit("eval", step=0, held_loss=first, best=True)
    reason = "finished"
    last_save = time.monotonic()
    budget = job.minutes * 60 if job.minutes else math.inf
    tokens_done, clock, first_step = 0, time.monotonic(), True
    while step < total:
        if _stop:
            reason = "interrupted"
            break
        if elapsed >= budget:
            reason = "time"
            break
        epoch, index = divmod(step, per_epoch)
        start = int(window_starts(len(train), seq, epoch, job.seed)[index])
        window = jnp.asarray(train[start : start + seq + 1])[None]
        t0 = time.monotonic()
        trainable, opt_state, value = train_step(trainable, opt_state, frozen, window)
        train_loss = float(value)
        step += 1
        elapsed += time.monotonic() - t0
        if tokens_done == 0 and first_step:  # the first step compiles: not counted
            first_step, clock = False, time.monotonic()
            rate = (window.shape[1] - 1) / max(time.monotonic() - t0, 1e-9)
        else:
            tokens_done += window.shape[1] - 1
            rate = tokens_done / max(time.monotonic() - clock, 1e-9)
        eta = min((total - step) * seq / max(rate, 1e-9), max(budget - elapsed, 0))
        emit(
            "step", step=step, total=total, epoch=epoch + 1, loss=train_loss, tok_s=rate, eta_s=eta
        )
        if job.sample_every and step % job.sample_every == 0:
            emit(
                "sample",
                step=step,
                text=_decode(job, _sample(trainable, frozen, job, shape, scale, train)),
            )
        if step % job.eval_every == 0 or step == total:
            value_held = held_out_loss(trainable)
            improved = value_held is not None and value_held < best_loss - 1e-4
            if value_held is None or improved:
                best_loss, best_step, since_best = (value_held or math.inf), step, 0
                save_best()
            else:
                since_best += 1
            emit("eval", step=step, held_loss=value_held, best=improved)
            snapshot("last")
            last_save = time.monotonic()
            if job.patience and since_best >= job.patience:
                reason = "early-stop"
                break
        elif time.monotonic() - last_save >= job.checkpoint_seconds:
            snapshot("last")
            last_save = time.monotonic()
    snapshot("last")
    emit(
        "done",
        reason=reason,
        step=step,
        best_step=best_step,
        best_loss=best_loss if math.isfinite(best_loss) else None,
    )
    return 0


def _sample(
    trainable: Any, base: Any, job: Job, shape: Any, scale: float, train: np.ndarray
) -> list[int]:
    """32 tokens at temperature 0.8 after a random 8-token training prompt. The input is
    padded to one window, so the step compiles once (causal attention ignores the padding)."""
    import jax
    import jax.numpy as jnp

    from models.voice import gpt2

    global _next_logits
    if _next_logits is None:

        def next_logits(params: Any, lora: Any, tokens: jax.Array, at: jax.Array) -> jax.Array:
            return gpt2.logits(params, lora, tokens, shape, scale)[0, at]

        _next_logits = jax.jit(next_logits)
    rng = np.random.default_rng()
    start = int(rng.integers(0, max(1, len(train) - 8)))
    tokens = [int(t) for t in train[start : start + 8]]
    params, lora = (trainable, None) if job.full else (base, trainable)
    out: list[int] = []
    for _ in range(32):
        context = (tokens + out)[-job.seq :]
        padded = np.zeros((1, job.seq), np.int32)
        padded[0, : len(context)] = context
        row = np.asarray(_next_logits(params, lora, jnp.asarray(padded), len(context) - 1))
        row = row.astype(np.float64) / 0.8
        probs = np.exp(row - row.max())
        out.append(int(rng.choice(len(probs), p=probs / probs.sum())))
    return out


def _decode(job: Job, tokens: list[int]) -> str:
    if not job.vocab:
        return " ".join(map(str, tokens))
    from models.voice.tokens import Tokenizer

    tok = Tokenizer(Path(job.vocab))
    try:
        return tok.decode(tokens)
    finally:
        tok.close()


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
