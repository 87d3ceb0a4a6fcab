"""The remote engine against a misbehaving server: refused keys, wrong paths, busy and loading
servers, errors, broken streams, cancels, network failures, TLS, a stalled close."""

from __future__ import annotations

import contextlib
import logging
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from models.engine_client import (
    Chunk,
    Finished,
    GenerateRequest,
)
from models.prompting.prompts import TextSpec
from models.remote.engine import RemoteEngine, Retrying
from models.remote.tokens import ApproxTokenizer
from tests.support.engine_events import Events
from tests.support.faultserver import WORDS, FaultServer
from tests.support.remote import KEY_ENV, STORY, connect, load_failure, run

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
