"""Tiny random-weight GPT-2 checkpoints in the Hub's layout, and a numpy reference forward pass."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

TOKENIZER = Path(__file__).parent / "fixtures" / "gpt2-tokenizer"
N_VOCAB = 50257


def make_checkpoint(
    dest: Path,
    *,
    n_embd: int = 64,
    n_layer: int = 2,
    n_head: int = 4,
    n_ctx: int = 1024,
    seed: int = 0,
    transformer_prefix: bool = False,
) -> Path:
    """Write config.json, model.safetensors, vocab.json and merges.txt like the official repos."""
    rng = np.random.default_rng(seed)
    dest.mkdir(parents=True, exist_ok=True)

    def w(*shape: int, scale: float = 0.02) -> np.ndarray:
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    e, f = n_embd, 4 * n_embd
    tensors: dict[str, np.ndarray] = {
        "wte.weight": w(N_VOCAB, e, scale=0.1),
        "wpe.weight": w(n_ctx, e, scale=0.05),
        "ln_f.weight": 1 + w(e, scale=0.1),
        "ln_f.bias": w(e),
    }
    mask = np.tril(np.ones((n_ctx, n_ctx), dtype=np.float32))[None, None]
    for i in range(n_layer):
        p = f"h.{i}."
        tensors |= {
            p + "ln_1.weight": 1 + w(e, scale=0.1),
            p + "ln_1.bias": w(e),
            p + "attn.bias": mask,
            p + "attn.c_attn.weight": w(e, 3 * e, scale=0.2),
            p + "attn.c_attn.bias": w(3 * e),
            p + "attn.c_proj.weight": w(e, e, scale=0.1),
            p + "attn.c_proj.bias": w(e),
            p + "ln_2.weight": 1 + w(e, scale=0.1),
            p + "ln_2.bias": w(e),
            p + "mlp.c_fc.weight": w(e, f, scale=0.1),
            p + "mlp.c_fc.bias": w(f),
            p + "mlp.c_proj.weight": w(f, e, scale=0.1),
            p + "mlp.c_proj.bias": w(e),
        }
    if transformer_prefix:
        tensors = {"transformer." + k: v for k, v in tensors.items()}
    save_file(tensors, str(dest / "model.safetensors"), metadata={"format": "pt"})
    config = {
        "model_type": "gpt2",
        "architectures": ["GPT2LMHeadModel"],
        "vocab_size": N_VOCAB,
        "n_positions": n_ctx,
        "n_ctx": n_ctx,
        "n_embd": n_embd,
        "n_layer": n_layer,
        "n_head": n_head,
        "layer_norm_epsilon": 1e-5,
        "activation_function": "gelu_new",
        "bos_token_id": 50256,
        "eos_token_id": 50256,
    }
    (dest / "config.json").write_text(json.dumps(config, indent=2))
    shutil.copyfile(TOKENIZER / "encoder.json", dest / "vocab.json")
    shutil.copyfile(TOKENIZER / "vocab.bpe", dest / "merges.txt")
    return dest


def reference_logits(src: Path, tokens: list[int]) -> np.ndarray:
    """Logits of the last position, computed by a plain numpy GPT-2 forward pass."""
    from safetensors.numpy import load_file

    cfg = json.loads((src / "config.json").read_text())
    t = {
        k.removeprefix("transformer."): v
        for k, v in load_file(str(src / "model.safetensors")).items()
    }
    eps = cfg["layer_norm_epsilon"]
    n_head = cfg["n_head"]

    def ln(x: np.ndarray, g: np.ndarray, b: np.ndarray) -> np.ndarray:
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + eps) * g + b

    def gelu(x: np.ndarray) -> np.ndarray:
        return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))

    x = (t["wte.weight"][tokens] + t["wpe.weight"][: len(tokens)]).astype(np.float64)
    n = len(tokens)
    for i in range(cfg["n_layer"]):
        p = f"h.{i}."
        h = ln(x, t[p + "ln_1.weight"], t[p + "ln_1.bias"])
        qkv = h @ t[p + "attn.c_attn.weight"] + t[p + "attn.c_attn.bias"]
        q, k, v = np.split(qkv, 3, axis=-1)
        d = q.shape[-1] // n_head
        q, k, v = (a.reshape(n, n_head, d).transpose(1, 0, 2) for a in (q, k, v))
        att = q @ k.transpose(0, 2, 1) / np.sqrt(d)
        att = np.where(np.tril(np.ones((n, n), bool)), att, -np.inf)
        att = np.exp(att - att.max(-1, keepdims=True))
        att /= att.sum(-1, keepdims=True)
        y = (att @ v).transpose(1, 0, 2).reshape(n, -1)
        x = x + y @ t[p + "attn.c_proj.weight"] + t[p + "attn.c_proj.bias"]
        h = ln(x, t[p + "ln_2.weight"], t[p + "ln_2.bias"])
        h = gelu(h @ t[p + "mlp.c_fc.weight"] + t[p + "mlp.c_fc.bias"])
        x = x + h @ t[p + "mlp.c_proj.weight"] + t[p + "mlp.c_proj.bias"]
    x = ln(x, t["ln_f.weight"], t["ln_f.bias"])
    return (x[-1] @ t["wte.weight"].T).astype(np.float64)
