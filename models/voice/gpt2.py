"""GPT-2 in JAX for training: the forward pass, LoRA on the Conv1D layers, the loss.

Weights keep the Hub's names and layout (Conv1D ``[in, out]``), so they go back to the
converter unchanged. A LoRA pair for layer ``name`` is peft's: ``a`` is ``(r, in)``, ``b`` is
``(out, r)``, and the layer computes ``x @ W + b + scale · (x @ a.T) @ b.T`` with
``scale = alpha / r``. Merging adds ``scale · (b @ a).T`` to ``W``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from models.hub.convert import GPT2Config

LORA_TARGETS = ("attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj")
Params = dict[str, Any]


@dataclass(frozen=True)
class Shape:
    """What the forward pass needs to know of the config (hashable: a static jit argument)."""

    n_layer: int
    n_head: int
    eps: float
    remat: bool = False
    """Recompute each block's activations in the backward pass (less memory, ~30% more
    compute): worth it for a full fine-tune, not for LoRA at a 256-token window."""

    @classmethod
    def of(cls, config: GPT2Config, *, remat: bool = False) -> Shape:
        return cls(config.n_layer, config.n_head, config.eps, remat)


def lora_names(n_layer: int) -> list[str]:
    return [f"h.{i}.{t}" for i in range(n_layer) for t in LORA_TARGETS]


def init_lora(base: Mapping[str, np.ndarray], n_layer: int, rank: int, seed: int) -> Params:
    """``a`` random (variance 1/in), ``b`` zero: training starts from the base model exactly."""
    rng = np.random.default_rng(seed)
    lora: Params = {}
    for name in lora_names(n_layer):
        n_in, n_out = base[name + ".weight"].shape
        a = rng.standard_normal((rank, n_in)).astype(np.float32) / np.sqrt(n_in)
        lora[name] = {"a": jnp.asarray(a), "b": jnp.zeros((n_out, rank), jnp.float32)}
    return lora


def _layer_norm(x: jax.Array, g: jax.Array, b: jax.Array, eps: float) -> jax.Array:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) * jax.lax.rsqrt(var + eps) * g + b


def _linear(x: jax.Array, p: Params, lora: Params | None, name: str, scale: float) -> jax.Array:
    y = x @ p[name + ".weight"] + p[name + ".bias"]
    if lora is not None:
        pair = lora[name]
        y = y + scale * ((x @ pair["a"].T) @ pair["b"].T)
    return y


def _block(
    x: jax.Array, p: Params, lora: Params | None, i: int, s: Shape, scale: float
) -> jax.Array:
    pre = f"h.{i}."
    batch, t, e = x.shape
    h = _layer_norm(x, p[pre + "ln_1.weight"], p[pre + "ln_1.bias"], s.eps)
    qkv = _linear(h, p, lora, pre + "attn.c_attn", scale)
    q, k, v = jnp.split(qkv, 3, axis=-1)
    d = e // s.n_head

    def heads(z: jax.Array) -> jax.Array:
        return z.reshape(batch, t, s.n_head, d).transpose(0, 2, 1, 3)

    att = heads(q) @ heads(k).transpose(0, 1, 3, 2) / np.sqrt(d).astype(np.float32)
    mask = jnp.tril(jnp.ones((t, t), bool))
    att = jax.nn.softmax(jnp.where(mask, att, -1e10), axis=-1)
    y = (att @ heads(v)).transpose(0, 2, 1, 3).reshape(batch, t, e)
    x = x + _linear(y, p, lora, pre + "attn.c_proj", scale)
    h = _layer_norm(x, p[pre + "ln_2.weight"], p[pre + "ln_2.bias"], s.eps)
    h = jax.nn.gelu(_linear(h, p, lora, pre + "mlp.c_fc", scale), approximate=True)
    return x + _linear(h, p, lora, pre + "mlp.c_proj", scale)


def hidden(p: Params, lora: Params | None, tokens: jax.Array, s: Shape, scale: float) -> jax.Array:
    """The final layer-normed states, ``(batch, t, n_embd)``; with ``s.remat`` each block is
    rematerialized in the backward pass (activations of one block at a time, not of all)."""
    t = tokens.shape[1]
    x = p["wte.weight"][tokens] + p["wpe.weight"][:t]
    for i in range(s.n_layer):
        block = jax.checkpoint(_block, static_argnums=(3, 4, 5)) if s.remat else _block
        x = block(x, p, None if lora is None else _of_layer(lora, i), i, s, scale)
    return _layer_norm(x, p["ln_f.weight"], p["ln_f.bias"], s.eps)


def _of_layer(lora: Params, i: int) -> Params:
    pre = f"h.{i}."
    return {k: v for k, v in lora.items() if k.startswith(pre)}


def logits(p: Params, lora: Params | None, tokens: jax.Array, s: Shape, scale: float) -> jax.Array:
    return hidden(p, lora, tokens, s, scale) @ p["wte.weight"].T


def loss(p: Params, lora: Params | None, window: jax.Array, s: Shape, scale: float) -> jax.Array:
    """Mean next-token cross-entropy (nats) over ``window`` ``(batch, t + 1)``."""
    import optax

    out = logits(p, lora, window[:, :-1], s, scale)
    return optax.softmax_cross_entropy_with_integer_labels(out, window[:, 1:]).mean()


def merged(
    base: Mapping[str, np.ndarray], lora: Mapping[str, Any], scale: float
) -> dict[str, np.ndarray]:
    """The base weights with each LoRA pair added in (Hub layout, float32)."""
    out = dict(base)
    for name, pair in lora.items():
        a, b = np.asarray(pair["a"]), np.asarray(pair["b"])
        out[name + ".weight"] = (base[name + ".weight"] + scale * (b @ a).T).astype(np.float32)
    return out
