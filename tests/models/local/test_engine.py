"""Engine: real llama.cpp on a tiny converted GPT-2."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from models.errors import QuillpenError
from models.hub.convert import convert
from models.hub.quantize import effective_quant, quantize
from models.local.engine import Engine
from models.local.gpu import resolve_gpu_layers
from models.sampling import SamplerSettings
from models.stats import available_threads


def test_streams_pieces_up_to_max_tokens(tiny_engine: Engine) -> None:
    pieces = list(tiny_engine.stream("Once upon a time", SamplerSettings(seed=3), max_tokens=25))
    assert len(pieces) > 1
    assert tiny_engine.last_stats.generated_tokens <= 25
    assert tiny_engine.count_tokens("".join(pieces)) <= 27  # retokenizing may merge differently


def test_same_seed_same_text(tiny_engine: Engine) -> None:
    a = tiny_engine.complete("The river", SamplerSettings(seed=11), max_tokens=30)
    b = tiny_engine.complete("The river", SamplerSettings(seed=11), max_tokens=30)
    c = tiny_engine.complete("The river", SamplerSettings(seed=12), max_tokens=30)
    assert a == b
    assert a != c


def test_stop_string_is_not_emitted(tiny_engine: Engine) -> None:
    free = tiny_engine.complete("A", SamplerSettings(seed=5), max_tokens=40)
    stop = free[len(free) // 2 : len(free) // 2 + 3]
    assert stop.strip()
    stopped = tiny_engine.complete("A", SamplerSettings(seed=5), max_tokens=40, stop=[stop])
    assert stop not in stopped
    assert free.startswith(stopped)
    assert tiny_engine.last_stats.stopped_by == "stop"


def test_cancel_takes_effect_within_one_token(tiny_engine: Engine) -> None:
    cancel = threading.Event()
    got = []
    for piece in tiny_engine.stream(
        "Cancel me", SamplerSettings(seed=1), max_tokens=500, cancel=cancel
    ):
        got.append(piece)
        if len(got) == 3:
            cancel.set()
    assert tiny_engine.last_stats.stopped_by == "cancel"
    assert tiny_engine.last_stats.generated_tokens <= 4


def test_prompt_longer_than_window_keeps_its_end(tiny_engine: Engine) -> None:
    long = "word " * 5000
    out = tiny_engine.complete(long, SamplerSettings(seed=1), max_tokens=20)
    stats = tiny_engine.last_stats
    assert stats.prompt_tokens + 20 <= tiny_engine.n_ctx_train
    assert stats.trimmed_tokens > 3000
    assert isinstance(out, str)


def test_max_tokens_larger_than_window_is_clamped(tiny_engine: Engine) -> None:
    tiny_engine.complete("x", SamplerSettings(seed=1), max_tokens=5000)
    assert tiny_engine.last_stats.generated_tokens < tiny_engine.n_ctx_train


def test_empty_prompt_generates(tiny_engine: Engine) -> None:
    assert tiny_engine.complete("", SamplerSettings(seed=2), max_tokens=5) is not None
    assert (
        tiny_engine.last_stats.generated_tokens >= 1 or tiny_engine.last_stats.stopped_by == "eot"
    )


def test_n_ctx_clamped_to_trained_context(tiny_gguf: Path) -> None:
    engine = Engine.load(tiny_gguf, n_ctx=100_000)
    assert engine.n_ctx == 1024
    engine.complete("hi", max_tokens=2)
    engine.close()


def test_threads_default_to_available_cpus(tiny_engine: Engine) -> None:
    assert tiny_engine.threads == available_threads() >= 1


def test_gpu_layers_on_cpu_build_runs_on_cpu_with_notice(tiny_gguf: Path) -> None:
    import llama_cpp

    if llama_cpp.llama_supports_gpu_offload():
        pytest.skip("this build can offload")
    layers, notice = resolve_gpu_layers(8)
    assert layers == 0 and notice and "GPU" in notice
    assert resolve_gpu_layers("auto") == (0, None)
    engine = Engine.load(tiny_gguf, gpu_layers=8)
    assert engine.notices and engine.complete("a", max_tokens=2) is not None
    engine.close()


def test_bad_gpu_layers_value() -> None:
    with pytest.raises(QuillpenError):
        resolve_gpu_layers("lots")


def test_kv_prefix_reuse_gives_same_text(tiny_engine: Engine) -> None:
    base = "The castle stood on the hill. " * 20
    first = tiny_engine.complete(base + "Then", SamplerSettings(seed=9), max_tokens=10)
    tiny_engine.complete(base + "Meanwhile", SamplerSettings(seed=1), max_tokens=10)
    again = tiny_engine.complete(base + "Then", SamplerSettings(seed=9), max_tokens=10)
    assert first == again


def test_quantized_files_load_and_generate(tiny_checkpoint: Path, tmp_path: Path) -> None:
    f16 = convert(tiny_checkpoint, tmp_path / "t.f16.gguf", "f16")
    quant, notice = effective_quant("Q4_K_M", 64)
    assert quant == "Q5_0" and notice and "256" in notice
    for q in (quant, "Q8_0"):
        out = quantize(f16, tmp_path / f"t.{q}.gguf", q)
        assert out.stat().st_size < f16.stat().st_size
        engine = Engine.load(out)
        assert engine.info.file_type == q
        engine.complete("Hello", max_tokens=3)
        engine.close()
    assert not list(tmp_path.glob("*.partial"))


def test_k_quant_on_256_wide_model(tmp_path: Path) -> None:
    from tests.support.tinymodel import make_checkpoint

    src = make_checkpoint(tmp_path / "w256", n_embd=256, n_layer=1, n_head=4, n_ctx=128)
    f16 = convert(src, tmp_path / "w.f16.gguf", "f16")
    assert effective_quant("Q4_K_M", 256) == ("Q4_K_M", None)
    out = quantize(f16, tmp_path / "w.Q4_K_M.gguf", "Q4_K_M")
    engine = Engine.load(out)
    assert engine.info.file_type == "Q4_K_M"
    assert engine.n_ctx_train == 128
    engine.complete("word " * 400, max_tokens=8)  # prompt > window of a 128-context model
    assert engine.last_stats.prompt_tokens + 8 <= 128
    engine.close()


def test_dense_text_fills_the_window_instead_of_vanishing(tiny_engine: Engine) -> None:
    """Chinese costs GPT-2 ~3 tokens a character: the fitted story must still fill the window."""
    from models.prompting.context import fit_story

    text = "床前明月光，疑是地上霜。举头望明月，低头思故乡。" * 50  # 1,200 characters
    fitted = fit_story(tiny_engine, text, max_new=16)
    assert 0 < fitted.used <= tiny_engine.n_ctx_train - 16
    assert fitted.used >= (tiny_engine.n_ctx_train - 16) * 0.9  # most of the budget
    assert fitted.tokens == tiny_engine.tokenize(text)[-fitted.used :]
