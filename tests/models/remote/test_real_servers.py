"""The remote engine against the real servers on loopback, each with the suite's tiny model:
llama-cpp-python's ``llama_cpp.server`` and llama.cpp's own C++ ``llama-server`` (built for the
suite from the same llama.cpp sources, tests/support/llama_server.py), started with its default
settings: 4 slots sharing one cache the size of the 1024-token window.

Continue, ``n`` continuations, token figures, stop and cancel run on both; then what only
llama-server showed: alternatives for a long prompt on its shared cache, and ranks past the
alternatives it sends, checked against the local engine's exact ranks for the same token ids.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from models.engine_client import Chunk, Finished, GenerateRequest, ModelLoaded, Started
from models.prompting.prompts import StorySpec, TextSpec, build
from models.remote.engine import RemoteEngine
from models.remote.profiles import LLAMA_SERVER_PROBS
from models.sampling import SamplerSettings
from models.token_probs import insight
from tests.support.engine_events import Events
from tests.support.llama_server import LlamaServer
from tests.support.logits import next_logits

SAME_MATH = ("--flash-attn", "off")
"""As the local engine computes attention (llama-server's "auto" takes flash attention)."""
STORY = (
    "The lighthouse keeper counted the ships every night. Some nights there were none. "
    "On the last night of the year a small boat came in with no lights at all, and he went "
    "down to the rocks to meet it. "
) * 6


def connect(engines: list[RemoteEngine], url: str) -> tuple[RemoteEngine, ModelLoaded]:
    status = Events()
    engine = RemoteEngine(status, url, read_timeout=30.0)
    engines.append(engine)
    engine.load()
    loaded = status.wait_for(ModelLoaded)[0]
    assert isinstance(loaded, ModelLoaded)
    return engine, loaded


def run(
    engine: RemoteEngine, request: GenerateRequest, timeout: float = 60
) -> tuple[Events, Finished]:
    got = Events()
    engine.submit(request, got)
    return got, got.finished(request.id, timeout)


# -- both servers -------------------------------------------------------------------------------


def test_real_server_continues_like_the_local_engine(
    real_server: str, engines: list[RemoteEngine], tiny_engine: Any
) -> None:
    engine, loaded = connect(engines, real_server)
    assert loaded.name == "tiny-gpt2"
    assert "llama_cpp.server" in loaded.quant or "llama.cpp server" in loaded.quant
    assert loaded.n_ctx == 1024 and engine.capabilities.tokenize
    spec = StorySpec(STORY * 4, memory="A ghost story.", note="Keep it eerie.")
    request = GenerateRequest(spec, SamplerSettings(seed=11), max_tokens=12)
    got, finished = run(engine, request)
    assert finished.error is None and finished.stats.stopped_by == "length"
    assert finished.stats.generated_tokens == 12 and got.text(request.id)
    # The same prompt as the local engine builds (same tokenizer, same fitting).
    assert got.of(request.id, Started)[0].facts == build(spec, tiny_engine, 12).facts

    counted: list[int | None] = []
    done = threading.Event()
    engine.count_tokens(STORY, lambda n: (counted.append(n), done.set()))
    assert done.wait(10) and counted == [tiny_engine.count_tokens(STORY)]


def test_real_server_stop_alternatives_and_probabilities(
    real_server: str, engines: list[RemoteEngine]
) -> None:
    engine, loaded = connect(engines, real_server)
    greedy = SamplerSettings(temperature=0.0, seed=5)
    first = GenerateRequest(TextSpec("The sea"), greedy, 24)
    got, _ = run(engine, first)
    text = got.text(first.id)
    assert len(text) > 12
    stop = text[len(text) // 2 : len(text) // 2 + 3]
    stopped_got, stopped = run(
        engine, GenerateRequest(TextSpec("The sea"), greedy, 24, stop=(stop,))
    )
    assert stopped.error is None and stopped.stats.stopped_by == "stop"
    assert stopped_got.text(stopped.request_id) == text[: text.index(stop)]

    # n continuations, seed + i: one request each on llama_cpp.server (it ignores n), one
    # request with n on llama-server (its choices share the prompt's cache).
    cpp = "llama.cpp server" in loaded.quant
    assert engine.capabilities.batched_alternatives == cpp
    sampled = SamplerSettings(temperature=1.0, seed=21)
    many = GenerateRequest(TextSpec("Rain"), sampled, 6, n=3)
    got, finished = run(engine, many)
    assert finished.error is None and finished.notice is None
    assert len(got.of(many.id, Finished)) == 1
    assert [s.stopped_by for s in finished.sequences] == ["length"] * 3
    texts = [got.text(many.id, seq) for seq in range(3)]
    assert all(texts)
    if cpp:  # seeds 21, 22, 23, decoded together (the batch's numerics may part them later
        # from the same seed alone, as in llama.cpp's own batches)
        assert len(set(texts)) == 3
    else:
        alone, _ = run(engine, GenerateRequest(TextSpec("Rain"), sampled.with_(seed=22), 6))
        assert alone.text(alone.items[0].request_id) == texts[1]  # continuation 1: seed 22

    plain_greedy = SamplerSettings(temperature=0.0, repeat_penalty=1.0, seed=5)
    request = GenerateRequest(TextSpec("Rain"), plain_greedy, 4, probabilities=3)
    probed, finished = run(engine, request)
    infos = probed.infos(request.id)
    assert finished.error is None and len(infos) == 4
    assert "".join(t.text for t in infos) == probed.text(request.id)
    for token in infos:  # greedy: each token is the most likely one, before sampling
        assert 0 < token.prob <= 1 and token.rank == 1 and token.rank_exact
        assert len(token.top) == 3  # as many as asked, though more were asked of the server
        assert token.top[0][1] == pytest.approx(token.prob)


def test_real_server_cancel_stops_the_stream(real_server: str, engines: list[RemoteEngine]) -> None:
    engine, _ = connect(engines, real_server)
    engine.set_flush_interval(0.005)
    got = Events()
    request = GenerateRequest(TextSpec("Once"), SamplerSettings(seed=1), max_tokens=900)
    engine.submit(request, got)
    got.wait_for(Chunk, timeout=30)
    engine.cancel()
    finished = got.finished(request.id, timeout=5)
    assert finished.cancelled and finished.stats.generated_tokens < 900
    assert got.text(request.id)
    _, after = run(engine, GenerateRequest(TextSpec("Again"), max_tokens=3))
    assert after.error is None and after.stats.generated_tokens == 3  # the server is free


# -- llama.cpp's own server -----------------------------------------------------------------------


def test_three_alternatives_for_a_prompt_half_the_window_all_return(
    cpp_llama_server: str, engines: list[RemoteEngine], tiny_engine: Any
) -> None:
    engine, _ = connect(engines, cpp_llama_server)
    text = " ".join((STORY * 2).split()[:450])
    assert 480 <= tiny_engine.count_tokens(text) <= 540  # about half the 1024-token window
    spec = StorySpec(text)
    # Three continuations of 100 tokens: each on its own needs ~600 of the 1024 cells that
    # llama-server's four slots share; with the prompt shared, all three need ~800.
    settings = SamplerSettings(temperature=1.0, seed=3)
    request = GenerateRequest(spec, settings, 100, n=3)
    got, finished = run(engine, request, timeout=120)
    assert finished.error is None, finished.error
    assert finished.notice is None  # served as planned: all three at once
    assert [s.generated_tokens for s in finished.sequences] == [100] * 3
    assert all(got.text(request.id, seq) for seq in range(3))
    # The prompt fitted as the local engine fits its batch of three: nothing cut here.
    started = got.of(request.id, Started)[0]
    assert started.facts == build(spec, tiny_engine, 3 * 100).facts
    assert started.facts.trimmed_tokens == 0


@pytest.fixture(scope="module")
def f32_pair(
    llama_server_binary: Path, tiny_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Any]]:
    """llama-server and the local engine on the tiny model in F32: the same figures from two
    builds of ggml (Q8_0 quantises activations differently in each, and this random model's
    flat distribution has near-ties that such noise reorders)."""
    from models.hub.convert import convert
    from models.local.engine import Engine

    folder = tmp_path_factory.mktemp("f32")
    model = convert(tiny_checkpoint, folder / "tiny.F32.gguf", "f32")
    engine = Engine.load(model)
    try:
        with LlamaServer(llama_server_binary, model, folder / "server.log", *SAME_MATH) as server:
            yield server.url, engine
    finally:
        engine.close()


def test_ranks_are_the_local_engines_or_marked_as_bounds(
    f32_pair: tuple[str, Any], engines: list[RemoteEngine]
) -> None:
    url, local_engine = f32_pair
    engine, _ = connect(engines, url)
    prompt = "The keeper climbed the stairs"
    exact = bounds = 0
    for settings in (
        SamplerSettings(temperature=1.0, top_k=40, repeat_penalty=1.0, seed=4),  # ranks ≤ 40
        SamplerSettings(temperature=1.5, top_k=0, top_p=1.0, min_p=0.0, seed=8),  # far ones
    ):
        request = GenerateRequest(TextSpec(prompt), settings, 16, probabilities=5)
        got, finished = run(engine, request)
        assert finished.error is None
        infos = got.infos(request.id)
        ids = local_engine.tokenize(prompt)
        for info in infos:
            assert info.id >= 0 and len(info.top) == 5
            local = insight(next_logits(local_engine, ids), info.id, 0)
            assert info.prob == pytest.approx(local.prob, rel=1e-3)
            if info.rank_exact:  # within the server's alternatives: the very rank
                assert info.rank == local.rank
                exact += 1
            else:  # past all it sent: a true bound, stated as one
                assert info.rank == LLAMA_SERVER_PROBS + 1 <= local.rank
                assert info.as_json()["rank_at_least"] == info.rank
                bounds += 1
            ids.append(info.id)
    assert exact and bounds  # both kinds were checked
