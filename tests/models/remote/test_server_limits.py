"""A server's limits, on the loopback fault server: llama-server's slots sharing one cache,
alternatives it could not write at once, and ranks that are only bounds.

tests/support/faultserver.py plays llama-server (``/props``: 2 slots), vLLM and the rest; the
same behaviours against the real llama-server are in test_real_servers.py.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest

from models.engine_client import Finished, GenerateRequest, ModelLoaded
from models.prompting.prompts import TextSpec
from models.remote.engine import RemoteEngine
from models.remote.events import token_infos
from models.remote.profiles import LLAMA_SERVER_PROBS
from models.sampling import SamplerSettings
from models.token_probs import TokenInfo
from tests.support.engine_events import Events
from tests.support.faultserver import WORDS, FaultServer

FAST = {"retry_delays": (0.05,), "read_timeout": 5.0, "connect_timeout": 2.0}


@pytest.fixture
def engines() -> Iterator[list[RemoteEngine]]:
    made: list[RemoteEngine] = []
    yield made
    for engine in made:
        engine.close()


def connect(engines: list[RemoteEngine], url: str) -> RemoteEngine:
    status = Events()
    engine = RemoteEngine(status, url, **FAST)  # type: ignore[arg-type]
    engines.append(engine)
    engine.load()
    assert isinstance(status.wait_for(ModelLoaded)[0], ModelLoaded)
    return engine


def run(engine: RemoteEngine, request: GenerateRequest) -> tuple[Events, Finished]:
    got = Events()
    engine.submit(request, got)
    return got, got.finished(request.id, 10)


def test_alternatives_go_together_up_to_the_slots_and_share_the_window(
    engines: list[RemoteEngine],
) -> None:
    with FaultServer("llama.cpp", n_ctx=200) as server:  # /props: 2 slots, one shared cache
        engine = connect(engines, server.url)
        assert engine.capabilities.batched_alternatives
        assert "batched_alternatives" not in engine.capabilities.reasons
        long = " ".join(f"word{i}" for i in range(400))  # far more than the window
        request = GenerateRequest(TextSpec(long), SamplerSettings(seed=7), 40, n=3)
        got, finished = run(engine, request)
        bodies = [r.body for r in server.completions()]
        # Two choices in one request (its slots), then the third; seeds 7, 8 (the server's
        # own + 1) and 9, as locally.
        assert [(b.get("n", 1), b["seed"]) for b in bodies] == [(2, 7), (1, 9)]
        # The prompt leaves room for both choices of a request, as the local engine's batch.
        assert len(server.tokenize(bodies[0]["prompt"])) == 200 - 2 * 40
        assert bodies[0]["prompt"] == bodies[1]["prompt"]
        assert finished.error is None and finished.notice is None
        assert [got.text(request.id, seq) for seq in range(3)] == ["".join(WORDS)] * 3


@pytest.mark.parametrize("plan", ["full", "one-choice"])
def test_alternatives_the_server_could_not_write_at_once_come_one_after_another(
    plan: str, engines: list[RemoteEngine]
) -> None:
    with FaultServer("llama.cpp", n_ctx=1000) as server:
        engine = connect(engines, server.url)
        server.plan(plan)  # the first request's cache fills, or it ignores n
        request = GenerateRequest(TextSpec("Rain"), SamplerSettings(seed=5), 10, n=2)
        got, finished = run(engine, request)
        assert finished.error is None, finished.error
        assert finished.notice is not None and "one after another" in finished.notice
        assert [s.stopped_by for s in finished.sequences] == ["length", "length"]
        # Nothing written is lost or written twice: each goes on from where it was cut (the
        # fault server starts its words again).
        again_text = "".join(WORDS[:2] + WORDS[:8]) if plan == "full" else "".join(WORDS)
        assert got.text(request.id, 0) == again_text
        assert got.text(request.id, 1) == again_text
        first, *again = [r.body for r in server.completions()]
        assert first["n"] == 2 and [b.get("n", 1) for b in again] == [1] * len(again)
        if plan == "full":  # both had two words: both go on from there
            assert [(b["prompt"], b["max_tokens"]) for b in again] == [
                ("Rain" + "".join(WORDS[:2]), 8)
            ] * 2
        else:  # the second choice got nothing: it is written from the start
            assert [(b["prompt"], b["max_tokens"], b["seed"]) for b in again] == [("Rain", 10, 6)]


def test_alternatives_that_fail_alone_keep_what_they_wrote(engines: list[RemoteEngine]) -> None:
    with FaultServer("llama.cpp") as server:
        engine = connect(engines, server.url)
        server.plan("full", "ok", "500")  # the second, written alone, fails outright
        request = GenerateRequest(TextSpec("Rain"), max_tokens=10, n=2)
        got, finished = run(engine, request)
        assert [s.stopped_by for s in finished.sequences] == ["length", "error"]
        assert finished.error is not None and "(1 of 2 continuations failed.)" in finished.error
        assert got.text(request.id, 1) == "".join(WORDS[:2])  # its first words stay


def test_servers_are_asked_for_all_the_alternatives_they_allow(
    engines: list[RemoteEngine],
) -> None:
    for flavour, most in (("llama.cpp", LLAMA_SERVER_PROBS), ("vllm", 20), ("openai", 5)):
        with FaultServer(flavour) as server:
            engine = connect(engines, server.url)
            request = GenerateRequest(TextSpec("x"), max_tokens=3, probabilities=1)
            got, finished = run(engine, request)
            assert finished.error is None and server.completions()[-1].body["logprobs"] == most
            infos = got.infos(request.id)  # cut to the one alternative asked for
            assert len(infos) == 3 and all(len(t.top) == 1 for t in infos)


def _content(token_id: int, logprob: float, top: list[tuple[int, float]]) -> dict[str, Any]:
    alternatives = [{"id": i, "token": f"t{i}", "logprob": lp} for i, lp in top]
    return {"content": [{"id": token_id, "token": f"t{token_id}", "logprob": logprob,
                         "top_logprobs": alternatives}]}  # fmt: skip


def test_a_rank_past_the_alternatives_is_a_bound() -> None:
    top = [(7, -0.1), (8, -1.0), (9, -2.0)]
    inside = token_infos(_content(8, -1.0, top))[0]
    assert (inside.rank, inside.rank_exact, inside.rank_label) == (2, True, "2")
    below = token_infos(_content(3, -5.0, top))[0]  # less likely than all three
    assert (below.rank, below.rank_exact, below.rank_label) == (4, False, ">3")
    assert below.prob == pytest.approx(math.exp(-5.0))
    assert below.as_json(top=False) == {
        "token": "t3", "id": 3, "prob": pytest.approx(math.exp(-5.0)), "rank_at_least": 4
    }  # fmt: skip
    assert "rank" not in below.as_json() and inside.as_json()["rank"] == 2
    # A {text: logprob} map (vLLM, llama_cpp.server) holds the top ``asked`` and the token.
    legacy = {"tokens": [" b"], "token_logprobs": [-1.0]}
    within = token_infos(legacy | {"top_logprobs": [{" a": -0.5, " b": -1.0, " c": -2.0}]}, 3)
    assert (within[0].rank, within[0].rank_exact) == (2, True)
    past = token_infos(legacy | {"top_logprobs": [{" a": -0.5, " c": -0.7, " b": -1.0}]}, 2)
    assert (past[0].rank, past[0].rank_exact) == (3, False)
    merged = token_infos(legacy | {"top_logprobs": [{" a": -0.5, " b": -1.0, " c": -2.0}]}, 4)
    assert (merged[0].rank, merged[0].rank_exact) == (2, False)  # a key was lost: a bound


def test_a_bound_survives_the_engine_process_wire() -> None:
    bound = TokenInfo(" x", 5, 0.01, 11, ((" a", 0.5),), rank_exact=False)
    exact = TokenInfo(" y", 6, 0.2, 2)
    assert TokenInfo.from_wire(bound.to_wire()) == bound
    assert TokenInfo.from_wire(exact.to_wire()) == exact and len(exact.to_wire()) == 5


def test_one_continuation_cut_by_a_full_cache_goes_on(engines: list[RemoteEngine]) -> None:
    with FaultServer("llama.cpp") as server:
        engine = connect(engines, server.url)
        server.plan("full")
        request = GenerateRequest(TextSpec("Rain"), max_tokens=10)
        got, finished = run(engine, request)
        assert finished.error is None and finished.stats.stopped_by == "length"
        assert finished.notice is not None and "went on from where it was cut" in finished.notice
        assert got.text(request.id) == "".join(WORDS[:2] + WORDS[:8])
        assert server.completions()[-1].body["prompt"] == "Rain" + "".join(WORDS[:2])
