"""The remote engine against the real ``llama_cpp.server`` with the tiny GGUF: continue, ``n``
continuations, token figures, stop and cancel."""

from __future__ import annotations

from typing import Any

import pytest

from models.engine_client import (
    Chunk,
    Finished,
    GenerateRequest,
    Started,
)
from models.prompting.prompts import StorySpec, TextSpec, build
from models.remote.engine import RemoteEngine
from models.sampling import SamplerSettings
from tests.support.engine_events import Events
from tests.support.remote import STORY, Reply, connect, run

# -- a real llama_cpp.server ----------------------------------------------------------------


def test_real_server_continues_like_the_local_engine(
    llama_server: str, engines: list[RemoteEngine], tiny_engine: Any
) -> None:
    engine, _, loaded = connect(engines, llama_server)
    assert loaded.name == "tiny-gpt2" and "llama_cpp.server" in loaded.quant
    assert loaded.n_ctx == 1024 and engine.capabilities.tokenize
    spec = StorySpec(STORY * 4, memory="A ghost story.", note="Keep it eerie.")
    request = GenerateRequest(spec, SamplerSettings(seed=11), max_tokens=12)
    got, finished = run(engine, request, timeout=30)
    assert finished.error is None and finished.stats.stopped_by == "length"
    assert finished.stats.generated_tokens == 12 and got.text(request.id)
    # The same prompt as the local engine builds (same tokenizer, same fitting).
    assert got.of(request.id, Started)[0].facts == build(spec, tiny_engine, 12).facts

    counted = Reply()
    engine.count_tokens(STORY, counted)
    assert counted.wait() == tiny_engine.count_tokens(STORY)


def test_real_server_stop_alternatives_and_probabilities(
    llama_server: str, engines: list[RemoteEngine]
) -> None:
    engine, _, _ = connect(engines, llama_server)
    greedy = SamplerSettings(temperature=0.0, seed=5)
    first = GenerateRequest(TextSpec("The sea"), greedy, 24)
    got, _ = run(engine, first, timeout=30)
    text = got.text(first.id)
    assert len(text) > 12
    stop = text[len(text) // 2 : len(text) // 2 + 3]
    stopped_got, stopped = run(
        engine, GenerateRequest(TextSpec("The sea"), greedy, 24, stop=(stop,)), timeout=30
    )
    assert stopped.error is None and stopped.stats.stopped_by == "stop"
    assert stopped_got.text(stopped.request_id) == text[: text.index(stop)]

    # n continuations: one request each (llama_cpp.server ignores n), seed + i
    assert not engine.capabilities.batched_alternatives
    sampled = SamplerSettings(temperature=1.0, seed=21)
    many = GenerateRequest(TextSpec("Rain"), sampled, 6, n=3)
    got, finished = run(engine, many, timeout=60)
    assert finished.error is None and len(got.of(many.id, Finished)) == 1
    assert [s.stopped_by for s in finished.sequences] == ["length"] * 3
    texts = [got.text(many.id, seq) for seq in range(3)]
    assert all(texts)
    alone, _ = run(engine, GenerateRequest(TextSpec("Rain"), sampled.with_(seed=22), 6))
    assert alone.text(alone.items[0].request_id) == texts[1]  # continuation 1 used seed 22

    plain_greedy = SamplerSettings(temperature=0.0, repeat_penalty=1.0, seed=5)
    request = GenerateRequest(TextSpec("Rain"), plain_greedy, 4, probabilities=3)
    probed, finished = run(engine, request, timeout=30)
    infos = probed.infos(request.id)
    assert finished.error is None and len(infos) == 4
    assert "".join(t.text for t in infos) == probed.text(request.id)
    for token in infos:  # greedy: each token is the most likely one, before sampling
        assert 0 < token.prob <= 1 and token.rank == 1 and len(token.top) >= 3
        assert token.top[0][1] == pytest.approx(token.prob)


def test_real_server_cancel_stops_the_stream(
    llama_server: str, engines: list[RemoteEngine]
) -> None:
    engine, _, _ = connect(engines, llama_server)
    engine.set_flush_interval(0.005)
    got = Events()
    request = GenerateRequest(TextSpec("Once"), SamplerSettings(seed=1), max_tokens=900)
    engine.submit(request, got)
    got.wait_for(Chunk, timeout=30)
    engine.cancel()
    finished = got.finished(request.id, timeout=5)
    assert finished.cancelled and finished.stats.generated_tokens < 900
    assert got.text(request.id)
    _, after = run(engine, GenerateRequest(TextSpec("Again"), max_tokens=3), timeout=30)
    assert after.error is None and after.stats.generated_tokens == 3  # the server is free
