"""A hostile server cannot make the client use unbounded memory, or end it in a traceback.

Each server floods one read (an event-stream line with no end, one event of 64 MB, a 100 MB
``/v1/models`` or ``/props`` or tokenize answer, a million tokens when 20 were asked for) or
sends JSON nested 10^5 deep. tracemalloc measures the peak of Python's allocations while the
client reads (the server thread allocates only its 64 KB chunks); the client ends with one
plain message.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import pytest

from models.engine_client import Chunk, Finished, GenerateRequest, ModelFailed, ModelLoaded
from models.errors import QuillpenError
from models.prompting.prompts import TextSpec
from models.remote.engine import RemoteEngine
from models.remote.http import RemoteHttp
from models.remote.profiles import PROFILES
from models.remote.tokens import ServerTokenizer
from tests.support.engine_events import Events
from tests.support.helpers import peak_memory
from tests.support.hostileserver import (
    Answer,
    HostileServer,
    events,
    json_answer,
    models_answer,
    repeat,
)

MB = 1024 * 1024
FAST = {"retry_delays": (), "read_timeout": 10.0, "connect_timeout": 2.0}
DEEP = "[" * 100_000 + "]" * 100_000


@contextlib.contextmanager
def serving(answers: dict[str, Answer]) -> Iterator[HostileServer]:
    server = HostileServer(answers)
    try:
        yield server
    finally:
        server.close()


def stream(chunks: Iterator[bytes]) -> Answer:
    return lambda: (200, "text/event-stream", chunks)


def generate(server: HostileServer, max_tokens: int = 20) -> tuple[Finished, str]:
    status = Events()
    engine = RemoteEngine(status, server.url, **FAST)  # type: ignore[arg-type]
    try:
        engine.load(None)
        assert isinstance(status.wait_for(ModelLoaded | ModelFailed)[0], ModelLoaded)  # type: ignore[arg-type]
        got = Events()
        request = GenerateRequest(TextSpec("Once"), max_tokens=max_tokens)
        engine.submit(request, got)
        [finished] = got.wait_for(Finished, timeout=60)
        text = "".join(c.text for c in got.of(request.id, Chunk))
        return finished, text
    finally:
        engine.close()


def test_an_event_stream_line_without_end_is_refused() -> None:
    line = stream(repeat(b"a", 64 * MB, head=b"data: "))
    answers = {"/v1/models": models_answer(), "/v1/completions": line}
    with serving(answers) as server, peak_memory() as peak:
        finished, _ = generate(server)
    assert finished.error is not None and "a line longer than" in finished.error
    assert server.sent > 1 * MB  # more than the 1 MB line cap was offered: the client stopped
    assert peak[0] < 12 * MB, peak


def test_one_huge_event_is_refused() -> None:
    lines = stream(repeat(b"data: " + b"b" * 1000 + b"\n", 64 * MB))
    answers = {"/v1/models": models_answer(), "/v1/completions": lines}
    with serving(answers) as server, peak_memory() as peak:
        finished, _ = generate(server)
    assert finished.error is not None and "an event longer than" in finished.error
    assert peak[0] < 12 * MB, peak


def test_max_tokens_holds_whatever_the_server_sends() -> None:
    flood = stream(events(f" w{i}" for i in range(1_000_000)))
    with serving({"/v1/models": models_answer(), "/v1/completions": flood}) as server:
        finished, text = generate(server, max_tokens=20)
    assert text.split() == [f"w{i}" for i in range(20)]
    assert finished.stats.generated_tokens == 20
    assert finished.error is not None and "more than the 20 tokens asked for" in finished.error


def test_deeply_nested_events_are_a_malformed_stream() -> None:
    deep = stream(iter([b"data: " + DEEP.encode() + b"\n\n"]))
    with serving({"/v1/models": models_answer(), "/v1/completions": deep}) as server:
        finished, _ = generate(server)
    assert finished.error is not None and "malformed stream" in finished.error


@pytest.mark.parametrize(
    "answer",
    [
        lambda: (200, "application/json", repeat(b"x", 100 * MB, b'{"data": "', b'"}')),
        json_answer(json.loads("[" * 500 + "]" * 500)),
        lambda: (200, "application/json", [DEEP.encode()]),
    ],
    ids=["100MB", "list", "nested"],
)
def test_a_hostile_model_list_fails_plainly(answer: Answer) -> None:
    with serving({"/v1/models": answer}) as server:
        status = Events()
        engine = RemoteEngine(status, server.url, **FAST)  # type: ignore[arg-type]
        try:
            with peak_memory() as peak:
                engine.load(None)
                [failed] = status.wait_for(ModelLoaded | ModelFailed)  # type: ignore[arg-type]
        finally:
            engine.close()
    assert isinstance(failed, ModelFailed)
    assert "Traceback" not in failed.error and "\n" not in failed.error.strip()
    assert peak[0] < 48 * MB, peak


def test_a_huge_props_answer_is_ignored() -> None:
    llama = {"object": "list", "data": [{"id": "m", "owned_by": "llamacpp"}]}
    huge = lambda: (200, "application/json", repeat(b"x", 100 * MB, b'{"n_ctx": "', b'"}'))  # noqa: E731
    answers = {"/v1/models": json_answer(llama), "/props": huge}
    with serving(answers) as server:
        status = Events()
        engine = RemoteEngine(status, server.url, **FAST)  # type: ignore[arg-type]
        try:
            with peak_memory() as peak:
                engine.load(None)
                loaded = status.wait_for(ModelLoaded | ModelFailed)[0]  # type: ignore[arg-type]
        finally:
            engine.close()
    assert isinstance(loaded, ModelLoaded | ModelFailed)
    assert server.sent >= 16 * MB  # the whole cap was offered: the client stopped there
    assert peak[0] < 48 * MB, peak


@pytest.mark.parametrize(
    ("status", "message"), [(200, "longer than"), (500, "failed")], ids=["answer", "error"]
)
def test_a_huge_tokenize_answer_is_refused(status: int, message: str) -> None:
    huge: Answer = lambda: (  # noqa: E731
        status,
        "application/json",
        repeat(b"1,", 100 * MB, b'{"tokens": [', b"1]}"),
    )
    with serving({"/tokenize": huge}) as server:
        http = RemoteHttp(server.url)
        http.open()
        api = PROFILES["llama.cpp"].tokenize
        assert api is not None
        tokenizer = ServerTokenizer(http, api, "m", 1024)
        try:
            with peak_memory() as peak, pytest.raises(QuillpenError, match=message):
                tokenizer.tokenize("hello")
        finally:
            assert http.client is not None
            http.client.close()
    assert peak[0] < 48 * MB, peak


def test_a_server_window_of_1e999_is_not_a_traceback() -> None:
    listing: dict[str, Any] = {"data": [{"id": "m", "owned_by": "vllm", "max_model_len": 1}]}
    body = json.dumps(listing).replace('"max_model_len": 1', '"max_model_len": 1e999')
    answer: Answer = lambda: (200, "application/json", [body.encode()])  # noqa: E731
    with serving({"/v1/models": answer}) as server:
        status = Events()
        engine = RemoteEngine(status, server.url, **FAST)  # type: ignore[arg-type]
        try:
            engine.load(None)
            loaded = status.wait_for(ModelLoaded | ModelFailed)[0]  # type: ignore[arg-type]
        finally:
            engine.close()
    assert isinstance(loaded, ModelLoaded | ModelFailed)
    if isinstance(loaded, ModelFailed):
        assert "Traceback" not in loaded.error and "Overflow" not in loaded.error
