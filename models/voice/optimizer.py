"""The optimizer: optax's AdamW with gradient clipping and a short warm-up."""

from __future__ import annotations

from typing import Any

WARMUP_STEPS = 20


def make_optimizer(lr: float) -> Any:
    import optax

    schedule = optax.linear_schedule(lr / 10, lr, WARMUP_STEPS)
    return optax.chain(optax.clip_by_global_norm(1.0), optax.adamw(schedule, weight_decay=0.0))
