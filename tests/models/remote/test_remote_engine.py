"""The remote engine against real servers on loopback: a fault server and llama_cpp.server.

tests/support/faultserver.py plays llama-server, vLLM (with vLLM's request schema),
llama_cpp.server or
a plain OpenAI-compatible server, and misbehaves on request: 401/403, 404, 429 then 200, 500,
a stall, a stream cut mid-chunk, a stream that just ends, malformed events. The last part starts
the real ``llama_cpp.server`` with the tiny GGUF and runs continue, ``n`` continuations, token
figures, stop and cancel through :class:`RemoteEngine`. No test sleeps for a fixed time: each
waits for its events.
"""

from __future__ import annotations

import contextlib
import logging
import math
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from models.engine_client import (
    Chunk,
    Finished,
    GenerateRequest,
    ModelFailed,
    ModelLoaded,
    Scored,
    Started,
)
from models.errors import QuillpenError
from models.prompting.prompts import StorySpec, TextSpec, build
from models.remote.engine import RemoteEngine, Retrying
from models.remote.tokens import ApproxTokenizer
from models.sampling import SamplerSettings
from tests.support.engine_events import Events
from tests.support.faultserver import WORDS, FaultServer

KEY_ENV = "QUILLPEN_TEST_REMOTE_KEY"
FAST = {"retry_delays": (0.05, 0.05, 0.05), "read_timeout": 5.0, "connect_timeout": 2.0}
STORY = (
    "The lighthouse keeper counted the ships every night. Some nights there were none. "
    "On the last night of the year a small boat came in with no lights at all, and he went "
    "down to the rocks to meet it. "
) * 6


class Reply:
    """A callback that keeps the value it is given, for a test to wait for."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self.done = threading.Event()

    def __call__(self, value: Any) -> None:
        self.values.append(value)
        self.done.set()

    def wait(self, timeout: float = 10) -> Any:
        assert self.done.wait(timeout), "no reply"
        return self.values[0]


@pytest.fixture
def engines() -> Iterator[list[RemoteEngine]]:
    """Engines a test made: closed at the end, whatever happened."""
    made: list[RemoteEngine] = []
    yield made
    for engine in made:
        engine.close()


def connect(
    engines: list[RemoteEngine], url: str, *, model: str | None = None, **options: Any
) -> tuple[RemoteEngine, Events, ModelLoaded]:
    status = Events()
    engine = RemoteEngine(status, url, **{**FAST, **options})
    engines.append(engine)
    engine.load(model)
    loaded = status.wait_for(ModelLoaded | ModelFailed)[0]  # type: ignore[arg-type]
    assert isinstance(loaded, ModelLoaded), loaded
    return engine, status, loaded


def load_failure(engines: list[RemoteEngine], url: str, **options: Any) -> str:
    status = Events()
    engine = RemoteEngine(status, url, **{**FAST, **options})
    engines.append(engine)
    engine.load()
    failed = status.wait_for(ModelLoaded | ModelFailed)[0]  # type: ignore[arg-type]
    assert isinstance(failed, ModelFailed), failed
    assert "Traceback" not in failed.error
    return failed.error


def run(
    engine: RemoteEngine, request: GenerateRequest, timeout: float = 10
) -> tuple[Events, Finished]:
    got = Events()
    engine.submit(request, got)
    return got, got.finished(request.id, timeout)


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer("llama.cpp", n_ctx=1000) as fake:
        yield fake


# -- prompts, fields and profiles -------------------------------------------------------------


def test_llama_server_story_is_fitted_to_its_window(
    server: FaultServer, engines: list[RemoteEngine]
) -> None:
    engine, _, loaded = connect(engines, server.url)
    assert (loaded.name, loaded.n_ctx) == ("tiny-gpt2", 1000)  # /props n_ctx < n_ctx_train
    assert "llama.cpp server" in loaded.quant and engine.capabilities.tokenize
    assert not engine.capabilities.batched_alternatives
    assert "batched_alternatives" in engine.capabilities.reasons
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
        assert (body["top_k"], body["seed"], body["logprobs"]) == (-1, 3, 2)
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
        assert plain.completions()[-1].body["logprobs"] == 1

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


def test_n_continuations_as_separate_requests(
    server: FaultServer, engines: list[RemoteEngine]
) -> None:
    engine, _, _ = connect(engines, server.url)  # llama-server: one choice per request
    request = GenerateRequest(TextSpec("x"), SamplerSettings(seed=7), 4, n=3, probabilities=1)
    got, finished = run(engine, request)
    bodies = [r.body for r in server.completions()]
    assert sorted(b["seed"] for b in bodies) == [7, 8, 9] and all("n" not in b for b in bodies)
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


# -- faults ---------------------------------------------------------------------------------


def test_api_key_from_the_named_variable(
    engines: list[RemoteEngine], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "sk-test-0123456789"
    with FaultServer("llama.cpp", api_key=secret) as locked:
        monkeypatch.delenv(KEY_ENV, raising=False)
        error = load_failure(engines, locked.url, api_key_env=KEY_ENV)
        assert f"set the environment variable {KEY_ENV}" in error
        monkeypatch.setenv(KEY_ENV, "wrong")
        error = load_failure(engines, locked.url, api_key_env=KEY_ENV)
        assert f"check {KEY_ENV}" in error and "401" in error and "wrong" not in error
        monkeypatch.setenv(KEY_ENV, secret)
        locked.requests.clear()
        engine, _, _ = connect(engines, locked.url, api_key_env=KEY_ENV)
        _, finished = run(engine, GenerateRequest(TextSpec("x"), max_tokens=2))
        assert finished.error is None
        assert {r.headers.get("authorization") for r in locked.requests} == {f"Bearer {secret}"}

        locked.plan("403")
        _, finished = run(engine, GenerateRequest(TextSpec("x"), max_tokens=2))
        assert finished.error is not None and f"check {KEY_ENV}" in finished.error
        assert secret not in finished.error and secret not in caplog.text


def test_wrong_path_suggests_v1(server: FaultServer, engines: list[RemoteEngine]) -> None:
    error = load_failure(engines, server.root)
    assert "404" in error and f"{server.root}/v1" in error


def test_busy_server_is_retried_with_the_wait_shown(
    server: FaultServer, engines: list[RemoteEngine]
) -> None:
    waits: list[Retrying] = []
    engine, _, _ = connect(engines, server.url, on_retry=waits.append)
    server.plan("429", "503:1", "ok")
    got, finished = run(engine, GenerateRequest(TextSpec("x"), max_tokens=3))
    assert finished.error is None and got.text(finished.request_id) == "".join(WORDS[:3])
    assert [(w.status, w.attempt, w.wait) for w in waits] == [(429, 1, 0.05), (503, 2, 1.0)]
    assert waits[1].message == "The server is unavailable (503): retrying in 1 s (retry 2 of 3)."
    assert len(server.completions()) == 3

    waits.clear()
    server.plan("429", "429", "429", "429")
    _, finished = run(engine, GenerateRequest(TextSpec("x"), max_tokens=3))
    assert len(waits) == 3 and finished.error is not None
    assert "busy (429" in finished.error and "after 3 retries" in finished.error


def test_a_server_still_loading_is_waited_for(engines: list[RemoteEngine]) -> None:
    waits: list[Retrying] = []
    with FaultServer("llama.cpp", loading=2) as starting:
        _, _, loaded = connect(engines, starting.url, on_retry=waits.append)
        assert loaded.name == "tiny-gpt2"
        assert [(w.request_id, w.status) for w in waits] == [(None, 503), (None, 503)]
    with FaultServer("llama.cpp", loading=9) as stuck:
        error = load_failure(engines, stuck.url)
        assert "unavailable (503 Service Unavailable): Loading model" in error
        assert "after 3 retries" in error


def test_server_error_gives_its_message(server: FaultServer, engines: list[RemoteEngine]) -> None:
    engine, _, _ = connect(engines, server.url)
    server.plan("500")
    _, finished = run(engine, GenerateRequest(TextSpec("x")))
    assert finished.error == (
        f"The server at 127.0.0.1:{server.port} failed (500 Internal Server Error): "
        "CUDA out of memory (simulated)."
    )


@pytest.mark.parametrize(
    ("behaviour", "words", "message"),
    [
        ("stall", 2, "stopped responding mid-stream (nothing for 1 s)"),
        ("cut", 3, "dropped mid-stream after 3 tokens"),
        ("eof", 3, "ended before the server said it was done, after 3 tokens"),
        ("malformed", 2, "malformed stream (an event that is not JSON"),
        ("error-event", 2, "reported an error mid-stream: slot 0 failed."),
    ],
)
def test_broken_streams_keep_the_partial_text(
    server: FaultServer, engines: list[RemoteEngine], behaviour: str, words: int, message: str
) -> None:
    engine, _, _ = connect(engines, server.url, read_timeout=1.0)
    server.plan(behaviour)
    started = time.monotonic()
    got, finished = run(engine, GenerateRequest(TextSpec("x"), max_tokens=8))
    assert time.monotonic() - started < 5
    assert finished.error is not None and message in finished.error, finished.error
    assert finished.error.endswith("The text received so far is kept.")
    assert "Traceback" not in finished.error and not finished.cancelled
    assert got.text(finished.request_id) == "".join(WORDS[:words])
    assert not engine.busy
    _, again = run(engine, GenerateRequest(TextSpec("x"), max_tokens=2))  # the engine goes on
    assert again.error is None


def test_answers_that_are_not_streams(server: FaultServer, engines: list[RemoteEngine]) -> None:
    engine, _, _ = connect(engines, server.url)
    server.plan("json", "html")
    got, finished = run(engine, GenerateRequest(TextSpec("x"), max_tokens=3))
    assert finished.error is None and got.text(finished.request_id) == "".join(WORDS[:3])
    _, finished = run(engine, GenerateRequest(TextSpec("x"), max_tokens=3))
    assert finished.error is not None and "text/html, not an event stream" in finished.error


def test_cancel_closes_the_stream_and_keeps_the_text(
    server: FaultServer, engines: list[RemoteEngine]
) -> None:
    engine, _, _ = connect(engines, server.url)
    server.plan("slow")
    got = Events()
    request = GenerateRequest(TextSpec("x"), max_tokens=200)
    engine.submit(request, got)
    got.wait_for(Chunk)
    assert engine.busy
    engine.cancel([request.id])
    finished = got.finished(request.id, timeout=3)
    assert finished.cancelled and finished.stats.stopped_by == "cancel" and finished.error is None
    assert got.text(request.id) and finished.stats.generated_tokens < 200
    deadline = time.monotonic() + 3
    while server.disconnects == 0:  # the server saw the client go
        assert time.monotonic() < deadline, "the stream was not closed"
        time.sleep(0.02)


def test_a_new_request_replaces_the_running_one(
    server: FaultServer, engines: list[RemoteEngine]
) -> None:
    engine, _, _ = connect(engines, server.url)
    server.plan("slow", "ok")
    got = Events()
    first = GenerateRequest(TextSpec("a"), max_tokens=200)
    second = GenerateRequest(TextSpec("b"), max_tokens=3)
    engine.submit(first, got)
    got.wait_for(Chunk)
    engine.submit(second, got)  # exclusive by default
    assert got.finished(first.id).cancelled
    assert got.finished(second.id).error is None


def test_network_failures_each_have_a_plain_message(engines: list[RemoteEngine]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once it closes
    error = load_failure(engines, f"http://127.0.0.1:{port}/v1")
    assert error.startswith(f"Cannot connect to 127.0.0.1:{port}: the connection was refused.")
    started = time.monotonic()
    with contextlib.suppress(socket.gaierror):
        socket.getaddrinfo("quillpen-test.invalid", 80)
    if time.monotonic() - started > 1.5:
        pytest.skip("this machine's resolver is too slow to fail (.invalid names)")
    error = load_failure(engines, "http://quillpen-test.invalid/v1")
    assert "Cannot find the server quillpen-test.invalid" in error and "DNS" in error


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    return cert, key


def test_tls_certificates_are_always_verified(
    engines: list[RemoteEngine], certificate: tuple[Path, Path]
) -> None:
    with FaultServer("llama.cpp", tls=certificate) as secure:
        error = load_failure(engines, secure.url)
        assert "TLS certificate of 127.0.0.1" in error and "self-signed" in error
        engine, _, _ = connect(engines, secure.url, ca_file=certificate[0])  # its CA: trusted
        _, finished = run(engine, GenerateRequest(TextSpec("x"), max_tokens=2))
        assert finished.error is None


def test_close_never_hangs_on_a_stalled_server(
    server: FaultServer, engines: list[RemoteEngine]
) -> None:
    engine, _, _ = connect(engines, server.url, read_timeout=30)
    server.plan("stall")
    got = Events()
    request = GenerateRequest(TextSpec("x"), max_tokens=8)
    engine.submit(request, got)
    got.wait_for(Chunk)
    started = time.monotonic()
    engine.close()
    assert time.monotonic() - started < 2.5
    assert got.finished(request.id, timeout=1).cancelled
    late = Events()
    engine.submit(GenerateRequest(TextSpec("y")), late)
    assert late.wait_for(Finished)[0].error == "no model is loaded"


def test_estimated_counts_err_on_the_high_side(tiny_engine: Any) -> None:
    estimate = ApproxTokenizer(1024)
    for text in (
        STORY,
        "“Well,” she said — and stopped. 1,234,567 reasons; it's 3:45 p.m.\n\n\tDone!",
        "Über straße naïve café résumé",
        "静夜思：床前明月光，疑是地上霜。",
    ):
        tokens = estimate.tokenize(text)
        assert estimate.detokenize(tokens) == text
        assert len(tokens) >= tiny_engine.count_tokens(text), text


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
