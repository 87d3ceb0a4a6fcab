"""The two exports agree: base + LoRA adapter in llama.cpp gives the merged model's logits;
and the JAX forward pass is GPT-2's (the numpy reference)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.errors import QuillpenError
from models.voice import export, gpt2, state
from tests.support.tinymodel import reference_logits

TOKENS = [464, 2068, 7586, 21831, 18045, 625, 262, 16931, 3290, 13]


def _llama_logits(model: Path, adapter: Path | None = None) -> np.ndarray:
    import llama_cpp

    llm = llama_cpp.Llama(
        model_path=str(model),
        lora_path=str(adapter) if adapter else None,
        n_ctx=64,
        n_threads=2,
        logits_all=True,
        verbose=False,
    )
    try:
        llm.eval(TOKENS)
        return np.array(llm.scores[: len(TOKENS)], np.float64)
    finally:
        llm.close()


@pytest.fixture(scope="module")
def random_lora(voice_base: Path) -> tuple[dict[str, np.ndarray], dict[str, dict[str, np.ndarray]]]:
    config, base = state.load_base(voice_base)
    rng = np.random.default_rng(3)
    lora = {
        name: {
            "a": (rng.standard_normal((4, base[name + ".weight"].shape[0])) * 0.3).astype(
                np.float32
            ),
            "b": (rng.standard_normal((base[name + ".weight"].shape[1], 4)) * 0.3).astype(
                np.float32
            ),
        }
        for name in gpt2.lora_names(config.n_layer)
    }
    return base, lora


def test_adapter_route_equals_merged_route(
    voice_base: Path,
    random_lora: tuple[dict[str, np.ndarray], dict[str, dict[str, np.ndarray]]],
    tmp_path: Path,
) -> None:
    base, lora = random_lora
    alpha = 8.0
    base_f32, _ = export.to_gguf(voice_base, tmp_path / "base.F32.gguf", "F32", 32, name="base")
    merged_dir = export.write_checkpoint(
        voice_base, gpt2.merged(base, lora, alpha / 4), tmp_path / "m"
    )
    merged_f32, _ = export.to_gguf(merged_dir, tmp_path / "merged.F32.gguf", "F32", 32, name="m")
    adapter = export.write_adapter(tmp_path / "a.adapter.gguf", lora, alpha, "a")
    export.check_adapter(adapter, base_f32)
    with_adapter, merged, plain = (
        _llama_logits(base_f32, adapter),
        _llama_logits(merged_f32),
        _llama_logits(base_f32),
    )
    assert np.abs(with_adapter - merged).max() < 1e-3
    assert np.abs(plain - merged).max() > 0.1  # the adapter did change something


def test_a_transposed_adapter_is_refused_before_loading(
    voice_base: Path,
    random_lora: tuple[dict[str, np.ndarray], dict[str, dict[str, np.ndarray]]],
    tmp_path: Path,
) -> None:
    _, lora = random_lora
    wrong = {k: {"a": v["b"].T.copy(), "b": v["a"].T.copy()} for k, v in lora.items()}
    base_f32, _ = export.to_gguf(voice_base, tmp_path / "base.F32.gguf", "F32", 32, name="base")
    adapter = export.write_adapter(tmp_path / "wrong.adapter.gguf", wrong, 8.0, "w")
    with pytest.raises(QuillpenError, match=r"llama\.cpp would reject it"):
        export.check_adapter(adapter, base_f32)


def test_jax_forward_is_gpt2(voice_base: Path) -> None:
    import jax
    import jax.numpy as jnp

    config, base = state.load_base(voice_base)
    params = {k: jnp.asarray(v) for k, v in base.items()}
    forward = jax.jit(gpt2.logits, static_argnums=(3, 4))
    ours = np.asarray(forward(params, None, jnp.asarray([TOKENS]), gpt2.Shape.of(config), 1.0))
    assert np.abs(ours[0, -1] - reference_logits(voice_base, TOKENS)).max() < 1e-3
