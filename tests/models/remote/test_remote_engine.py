"""The remote engine against real servers on loopback: a fault server and llama_cpp.server.

tests/support/faultserver.py plays llama-server, vLLM (with vLLM's request schema),
llama_cpp.server or a plain OpenAI-compatible server. Here: prompts, fields and profiles;
its faults are tests/models/remote/test_remote_faults.py's, the real ``llama_cpp.server``
tests/models/remote/test_remote_real_server.py's. No test sleeps for a fixed time: each waits
for its events.
"""

from __future__ import annotations

import math

import pytest

from models.engine_client import (
    Chunk,
    Finished,
    GenerateRequest,
    Scored,
    Started,
)
from models.errors import QuillpenError
from models.prompting.prompts import StorySpec, TextSpec
from models.remote.engine import RemoteEngine
from models.sampling import SamplerSettings
from tests.support.engine_events import Events
from tests.support.faultserver import WORDS, FaultServer
from tests.support.remote import STORY, Reply, connect, load_failure, run

# -- prompts, fields and profiles -------------------------------------------------------------


def test_llama_server_story_is_fitted_to_its_window(
    server: FaultServer, engines: list[RemoteEngine]
) -> None:
    engine, _, loaded = connect(engines, server.url)
    assert (loaded.name, loaded.n_ctx) == ("tiny-gpt2", 1000)  # /props n_ctx < n_ctx_train
    assert "llama.cpp server" in loaded.quant and engine.capabilities.tokenize
    assert engine.capabilities.batched_alternatives  # up to its slots (/props total_slots)
    assert "batched_alternatives" not in engine.capabilities.reasons
    settings = SamplerSettings(temperature=0.7, top_k=30, min_p=0.1, repeat_penalty=1.2, seed=7)
    spec = StorySpec(STORY * 4, memory="A ghost story.", note="Keep it eerie.")
    request = GenerateRequest(spec, settings, max_tokens=8, stop=("\n\n",))
    got, finished = run(engine, request)

    started = got.of(request.id, Started)[0]
    body = server.completions()[-1].body
    prompt = body["prompt"]
    assert len(server.tokenize(prompt)) == started.facts.prompt_tokens <= 1000 - 8
    assert prompt.startswith("A ghost story.\n\n") and prompt.endswith(STORY[-40:])
    assert "[Author's note: Keep it eerie.]" in prompt
    assert started.facts.hidden_chars > 0
    expected = {"max_tokens": 8, "stream": True, "temperature": 0.7, "top_k": 30, "min_p": 0.1}
    assert expected.items() <= body.items()
    assert (body["repeat_penalty"], body["seed"], body["stop"]) == (1.2, 7, ["\n\n"])
    assert "repetition_penalty" not in body and "n" not in body
    assert got.text(request.id) == "".join(WORDS[:8])
    assert (finished.error, finished.cancelled, finished.stats.stopped_by) == (
        None,
        False,
        "length",
    )
    assert finished.stats.generated_tokens == 8
    assert not engine.busy


def test_vllm_gets_its_own_field_names_and_batched_alternatives(
    engines: list[RemoteEngine],
) -> None:
    with FaultServer("vllm", n_ctx=512) as vllm:
        engine, _, loaded = connect(engines, vllm.url)
        assert loaded.n_ctx == 512 and "vLLM" in loaded.quant
        assert engine.capabilities.batched_alternatives and engine.capabilities.probabilities

        settings = SamplerSettings(top_k=0, repeat_penalty=1.3, seed=3)
        request = GenerateRequest(TextSpec("Once upon a time"), settings, 4, probabilities=2)
        got, finished = run(engine, request)
        body = vllm.completions()[-1].body  # vLLM validated it: no unknown field got through
        assert body["repetition_penalty"] == 1.3 and "repeat_penalty" not in body
        assert (body["top_k"], body["seed"], body["logprobs"]) == (-1, 3, 20)  # all it allows
        assert finished.error is None and finished.stats.generated_tokens == 4  # from usage
        infos = got.infos(request.id)
        assert [t.text for t in infos] == list(WORDS[:4])
        assert "".join(t.text for t in infos) == got.text(request.id)  # they spell the text
        first = infos[0]
        assert (first.id, first.rank, first.prob) == (-1, 1, pytest.approx(math.exp(-0.5)))
        assert first.top == ((" Once", pytest.approx(math.exp(-0.5))), (" and", math.exp(-1.5)))
        assert len(finished.sequences) == 1  # not a plain request: its one sequence's stats

        many = GenerateRequest(TextSpec("Rain"), SamplerSettings(seed=9), 3, n=3)
        before = len(vllm.completions())
        got, finished = run(engine, many)
        assert len(vllm.completions()) == before + 1  # one request…
        assert vllm.completions()[-1].body["n"] == 3  # …with three choices
        assert vllm.completions()[-1].body["seed"] == 9
        assert len(got.of(many.id, Started)) == 1 and len(got.of(many.id, Finished)) == 1
        assert {c.seq for c in got.of(many.id, Chunk)} == {0, 1, 2}
        for seq in range(3):
            assert got.text(many.id, seq) == "".join(WORDS[:3])
        assert [s.stopped_by for s in finished.sequences] == ["length"] * 3
        assert [s.generated_tokens for s in finished.sequences] == [3, 3, 3]
        assert finished.error is None and finished.stats.generated_tokens == 9

        capped = GenerateRequest(TextSpec("x"), max_tokens=1, probabilities=50)
        _, finished = run(engine, capped)
        assert finished.error is None and vllm.completions()[-1].body["logprobs"] == 20


def test_plain_openai_server_gets_standard_fields_and_estimates(
    engines: list[RemoteEngine],
) -> None:
    with FaultServer("openai", words=(" one", " two", "\nUser:", " three")) as plain:
        engine, _, loaded = connect(engines, plain.url)
        caps = engine.capabilities
        assert not caps.tokenize and {"top_k", "min_p", "repeat_penalty", "tokenize"} <= set(
            caps.reasons
        )
        assert loaded.n_ctx == 1024 and any("estimates" in n for n in loaded.notices)
        stops = ("\nA:", "\nB:", "\nC:", "\nD:", "\nUser:")  # OpenAI takes four
        got, finished = run(engine, GenerateRequest(TextSpec("Hi"), max_tokens=10, stop=stops))
        body = plain.completions()[-1].body
        assert not {"top_k", "min_p", "repeat_penalty", "repetition_penalty"} & set(body)
        assert body["stop"] == list(stops[:4])
        # The server ignored the fifth stop string; quillpen's own filter cut there.
        assert got.text(finished.request_id) == " one two"
        assert finished.stats.stopped_by == "stop" and finished.error is None
        # With token figures the tokens still spell the text: the one a stop string begins in
        # is cut there (as locally), and none after it is sent.
        for stop, text, tokens in (
            (stops, " one two", [" one", " two"]),
            (("wo",), " one t", [" one", " t"]),
        ):
            request = GenerateRequest(TextSpec("Hi"), max_tokens=10, stop=stop, probabilities=1)
            got, finished = run(engine, request)
            assert finished.stats.stopped_by == "stop" and got.text(request.id) == text
            assert [t.text for t in got.infos(request.id)] == tokens
        assert plain.completions()[-1].body["logprobs"] == 5  # all OpenAI allows

        counted = Reply()
        engine.count_tokens("Hello there, world.", counted)
        assert counted.wait() >= 4


def test_llama_cpp_python_is_recognised_and_asked_one_request_at_a_time(
    engines: list[RemoteEngine],
) -> None:
    with FaultServer("llama-cpp-python") as fake:
        engine, _, loaded = connect(engines, fake.url)
        assert "llama_cpp.server" in loaded.quant and engine.capabilities.tokenize
        fake.plan("slow", "ok")
        first = GenerateRequest(TextSpec("a"), max_tokens=6)
        second = GenerateRequest(TextSpec("b"), max_tokens=2)
        got = Events()
        engine.submit(first, got, exclusive=False)
        engine.submit(second, got, exclusive=False)
        assert got.finished(first.id).error is None and got.finished(second.id).error is None
        # concurrency 1: the second request started only after the first one finished
        assert got.items.index(got.of(second.id, Started)[0]) > got.items.index(
            got.of(first.id, Finished)[0]
        )
        # n continuations: one request each (it ignores n), in turn, seeds seed + i
        fake.requests.clear()
        many = GenerateRequest(TextSpec("c"), SamplerSettings(seed=41), max_tokens=2, n=2)
        got, finished = run(engine, many)
        assert finished.error is None and len(finished.sequences) == 2
        assert [r.body["seed"] for r in fake.completions()] == [41, 42]
        assert all("n" not in r.body for r in fake.completions())
        assert "ignores n" in engine.capabilities.reasons["batched_alternatives"]


def test_unknown_profile_name_is_refused_plainly() -> None:
    with pytest.raises(QuillpenError, match=r"use one of vllm, llama\.cpp"):
        RemoteEngine(Events(), "http://127.0.0.1:9/v1", profile="ollama")
    with pytest.raises(QuillpenError, match="http:// or https://"):
        RemoteEngine(Events(), "ftp://example.com/v1")


def test_n_continuations_as_requests_of_up_to_its_slots(
    server: FaultServer, engines: list[RemoteEngine]
) -> None:
    engine, _, _ = connect(engines, server.url)  # llama-server: as many choices as its slots
    request = GenerateRequest(TextSpec("x"), SamplerSettings(seed=7), 4, n=3, probabilities=2)
    got, finished = run(engine, request)
    bodies = [r.body for r in server.completions()]
    assert [(b["seed"], b.get("n", 1)) for b in bodies] == [(7, 2), (9, 1)]  # 8: the server's
    assert len({b["prompt"] for b in bodies}) == 1  # the prompt is built once
    assert len(got.of(request.id, Started)) == 1 and len(got.of(request.id, Finished)) == 1
    assert got.items[-1] is finished  # after every continuation's last chunk
    for seq in range(3):
        assert got.text(request.id, seq) == "".join(WORDS[:4])
        infos = got.infos(request.id, seq)  # llama-server's logprobs format
        assert [t.text for t in infos] == list(WORDS[:4]) and infos[0].rank == 1
        assert infos[0].top[1] == (" and", pytest.approx(math.exp(-1.5)))
    assert finished.error is None and not finished.cancelled
    assert (finished.stats.generated_tokens, finished.stats.stopped_by) == (12, "length")
    assert [s.generated_tokens for s in finished.sequences] == [4, 4, 4]

    server.plan("ok", "500", "ok")  # one of the three fails: the others still finish
    request = GenerateRequest(TextSpec("x"), max_tokens=4, n=3)
    got, finished = run(engine, request)
    reasons = sorted(s.stopped_by for s in finished.sequences)
    assert reasons == ["error", "length", "length"]
    assert finished.error is not None and "failed (500" in finished.error
    assert finished.error.endswith("(1 of 3 continuations failed.)")
    assert finished.stats.stopped_by == "error" and not finished.cancelled
    assert sorted(got.text(request.id, seq) for seq in range(3)) == ["", *["".join(WORDS[:4])] * 2]


def test_cancel_ends_every_continuation_once(
    server: FaultServer, engines: list[RemoteEngine]
) -> None:
    engine, _, _ = connect(engines, server.url)
    server.plan("slow", "slow", "slow")
    got = Events()
    request = GenerateRequest(TextSpec("x"), max_tokens=200, n=3)
    engine.submit(request, got)
    got.wait_for(Chunk)
    engine.cancel([request.id])
    finished = got.finished(request.id, timeout=3)
    assert finished.cancelled and finished.error is None and finished.stats.stopped_by == "cancel"
    assert [s.stopped_by for s in finished.sequences] == ["cancel"] * 3
    assert len(got.of(request.id, Finished)) == 1 and not engine.busy


def test_bans_and_scoring_are_refused_plainly(
    server: FaultServer, engines: list[RemoteEngine]
) -> None:
    engine, _, _ = connect(engines, server.url)
    assert "ban phrases" in engine.capabilities.reasons["bans"]
    assert "score" in engine.capabilities.reasons
    request = GenerateRequest(TextSpec("x"), max_tokens=4, bans=("quiet",))
    got, finished = run(engine, request)
    assert finished.error is not None and "cannot ban phrases" in finished.error
    assert "local engine" in finished.error and finished.stats.stopped_by == "error"
    assert not got.of(request.id, Started) and not got.of(request.id, Chunk)
    assert not server.completions()  # nothing was sent, so nothing was ignored
    scored = Reply()
    engine.score("Once upon a time", scored)
    answer = scored.wait()
    assert isinstance(answer, Scored) and answer.error and "cannot score" in answer.error


def test_model_choice_and_list(server: FaultServer, engines: list[RemoteEngine]) -> None:
    server.models = ("gpt2", "gpt2-xl")
    engine, _, loaded = connect(engines, server.url, model="gpt2-xl")
    assert loaded.name == "gpt2-xl"
    replies = Reply()
    engine.list_models(replies)
    listing = replies.wait()
    assert [m.id for m in listing.models] == ["gpt2", "gpt2-xl"] and listing.error is None
    assert "has no model 'gpt3'" in load_failure(engines, server.url, model="gpt3")
