"""A loopback OpenAI-compatible completions server that misbehaves on request.

One ``ThreadingHTTPServer`` on 127.0.0.1 (a random port; https with a given certificate) that
looks like one of four servers (``flavour``): what ``/v1/models`` says, the ``Server`` header,
where the tokenizer is, and which request fields are allowed:

``llama.cpp``         owned_by ``llamacpp``, ``/props`` (n_ctx), ``/tokenize`` + ``/detokenize``
``vllm``              owned_by ``vllm``, ``max_model_len``, ``/tokenize`` + ``/detokenize``; the
                      completions body is checked against vLLM's request schema (an unknown
                      field such as ``repeat_penalty`` is a 400, as with ``extra="forbid"``)
``llama-cpp-python``  owned_by ``me``, ``Server: uvicorn``, ``/extras/tokenize``
``openai``            owned_by ``openai``, no tokenizer endpoint, no ``top_k``/``min_p``

Its tokenizer cuts text into pieces of up to four characters (about GPT-2's rate), numbered
in order of first appearance, so prompt fitting can be checked exactly.
``POST /v1/completions`` streams :attr:`FaultServer.words` one per event (with the choice's
index when ``n`` > 1, and log-probabilities when asked), then ``finish_reason`` and
``[DONE]``. Stop strings are ignored: a dumb server, so the client's own stop filter shows.

Behaviours for the next completions requests are queued with :meth:`FaultServer.plan`
(afterwards: ``ok``):

``ok``                  the normal stream
``slow``                the stream with 50 ms between events (200 words)
``401`` ``403`` ``404`` ``500``   an error answer with a JSON message
``429`` ``503``         "busy"; ``429:2`` adds ``Retry-After: 2``
``stall``               two events, then nothing until the server closes
``cut``                 three events, then the socket closes in the middle of a chunk
``eof``                 three events, then a clean end of the body without ``[DONE]``
``malformed``           two events, then an event that is not JSON
``error-event``         two events, then ``data: {"error": …}`` (as llama-server reports a failure)
``full``                two events, then llama-server's error when its cache is full: "Context
                        size has been exceeded."
``one-choice``          the stream of one choice whatever ``n`` asks (a server that ignores it)
``json``                a whole (non-streamed) JSON answer
``html``                a 200 with an HTML page

Every request is recorded in :attr:`FaultServer.requests`; a stream whose client hung up is
counted in :attr:`FaultServer.disconnects`.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

FLAVOURS = ("llama.cpp", "vllm", "llama-cpp-python", "openai")
FULL = "Context size has been exceeded."
"""llama-server's error when its KV cache has no room left for a token."""
WORDS = (" Once", " upon", " a", " time", " there", " was", " a", " quiet", " lake", ".")
VLLM_FIELDS: dict[str, type | tuple[type, ...]] = {
    "model": str,
    "prompt": (str, list),
    "max_tokens": int,
    "temperature": (int, float),
    "top_p": (int, float),
    "top_k": int,
    "min_p": (int, float),
    "repetition_penalty": (int, float),
    "presence_penalty": (int, float),
    "frequency_penalty": (int, float),
    "n": int,
    "best_of": int,
    "stream": bool,
    "stream_options": dict,
    "logprobs": int,
    "echo": bool,
    "stop": (str, list),
    "stop_token_ids": list,
    "seed": int,
    "ignore_eos": bool,
    "min_tokens": int,
    "skip_special_tokens": bool,
    "include_stop_str_in_output": bool,
    "add_special_tokens": bool,
    "logit_bias": dict,
    "user": str,
    "suffix": str,
}
"""vLLM's ``CompletionRequest`` fields (the subset a client may send here) and their types."""


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any = None


@dataclass
class FaultServer:
    flavour: str = "llama.cpp"
    n_ctx: int = 1024
    models: tuple[str, ...] = ("tiny-gpt2",)
    api_key: str | None = None
    words: tuple[str, ...] = WORDS
    tls: tuple[Path, Path] | None = None
    """(certificate, key): serve https."""
    loading: int = 0
    """Answer the first this many ``/v1/models`` requests 503 "Loading model"."""
    requests: list[Recorded] = field(default_factory=list)
    disconnects: int = 0
    vocab: dict[str, int] = field(default_factory=dict)
    pieces: list[str] = field(default_factory=list)
    _plans: deque[str] = field(default_factory=deque)
    _release: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        assert self.flavour in FLAVOURS, self.flavour
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.fault = self  # type: ignore[attr-defined]
        if self.tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(self.tls[0]), str(self.tls[1]))
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    @property
    def root(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return self.root + "/v1"

    def plan(self, *behaviours: str) -> None:
        with self._lock:
            self._plans.extend(behaviours)

    def next_plan(self) -> str:
        with self._lock:
            return self._plans.popleft() if self._plans else "ok"

    def tokenize(self, text: str) -> list[int]:
        with self._lock:
            out = []
            for i in range(0, len(text), 4):
                piece = text[i : i + 4]
                if piece not in self.vocab:
                    self.vocab[piece] = len(self.pieces)
                    self.pieces.append(piece)
                out.append(self.vocab[piece])
            return out

    def detokenize(self, tokens: list[int]) -> str:
        with self._lock:
            return "".join(self.pieces[t] for t in tokens)

    def completions(self) -> list[Recorded]:
        return [r for r in self.requests if r.path == "/v1/completions"]

    def close(self) -> None:
        self._release.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> FaultServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    @property
    def fault(self) -> FaultServer:
        return self.server.fault  # type: ignore[attr-defined,no-any-return]

    def version_string(self) -> str:
        return {"llama.cpp": "llama.cpp", "openai": "openai"}.get(self.fault.flavour, "uvicorn")

    def log_message(self, format: str, *args: Any) -> None:  # keep pytest's output clean
        pass

    # Routing --------------------------------------------------------------------------------
    def do_GET(self) -> None:
        self._dispatch(None)

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        self._dispatch(body)

    def _dispatch(self, body: Any) -> None:
        fault = self.fault
        self.close_connection = True
        with fault._lock:
            fault.requests.append(
                Recorded(
                    self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body
                )
            )
        if fault.api_key is not None and (
            self.headers.get("authorization") != f"Bearer {fault.api_key}"
        ):
            self._error(401, "Invalid API key")
            return
        flavour, path = fault.flavour, self.path.split("?")[0]
        if self.command == "GET" and path == "/v1/models":
            with fault._lock:
                loading, fault.loading = fault.loading > 0, max(0, fault.loading - 1)
            if loading:
                self._error(503, "Loading model")
            else:
                self._json(200, self._models())
        elif self.command == "GET" and path == "/props" and flavour == "llama.cpp":
            self._json(
                200, {"default_generation_settings": {"n_ctx": fault.n_ctx}, "total_slots": 2}
            )
        elif self.command == "POST" and path == "/v1/completions":
            self._completions(body if isinstance(body, dict) else {})
        elif self.command == "POST" and path in _TOKENIZE.get(flavour, {}):
            self._tokenizer(path, body if isinstance(body, dict) else {})
        else:
            self._error(404, "File Not Found")

    def _models(self) -> dict[str, Any]:
        fault = self.fault
        owner = {"llama.cpp": "llamacpp", "vllm": "vllm", "llama-cpp-python": "me"}.get(
            fault.flavour, "openai"
        )
        data: list[dict[str, Any]] = []
        for name in fault.models:
            entry: dict[str, Any] = {"id": name, "object": "model", "owned_by": owner}
            if fault.flavour == "vllm":
                entry["max_model_len"] = fault.n_ctx
            if fault.flavour == "llama.cpp":
                entry["meta"] = {"n_ctx_train": 1024, "n_vocab": 50257}
            data.append(entry)
        return {"object": "list", "data": data}

    def _tokenizer(self, path: str, body: dict[str, Any]) -> None:
        kind, text_field, out_field = _TOKENIZE[self.fault.flavour][path]
        if kind == "tokenize":
            text = body.get(text_field)
            if not isinstance(text, str):
                self._error(400, f"{text_field} is required")
                return
            answer: dict[str, Any] = {"tokens": self.fault.tokenize(text)}
            if self.fault.flavour == "vllm":
                answer |= {"count": len(answer["tokens"]), "max_model_len": self.fault.n_ctx}
        else:
            answer = {out_field: self.fault.detokenize(body.get("tokens", []))}
        self._json(200, answer)

    # Completions ----------------------------------------------------------------------------
    def _completions(self, body: dict[str, Any]) -> None:
        fault = self.fault
        if fault.flavour == "vllm":
            problem = _vllm_problem(body)
            if problem:
                self._json(
                    400,
                    {"object": "error", "message": problem, "type": "BadRequestError", "code": 400},
                )
                return
        behaviour, _, arg = fault.next_plan().partition(":")
        if behaviour in ("401", "403", "404", "500"):
            message = {"401": "Invalid API key", "403": "Forbidden", "404": "File Not Found"}
            self._error(int(behaviour), message.get(behaviour, "CUDA out of memory (simulated)"))
            return
        if behaviour in ("429", "503"):
            extra = {"Retry-After": arg} if arg else {}
            text = "Too many requests" if behaviour == "429" else "Loading model"
            self._error(int(behaviour), text, extra)
            return
        if behaviour == "html":
            self._send(200, "text/html", b"<html><body>Welcome to nginx!</body></html>")
            return
        n = 1 if behaviour == "one-choice" else int(body.get("n") or 1)
        logprobs = int(body.get("logprobs") or 0)
        limit = int(body.get("max_tokens") or 16)
        words = list(fault.words) * (20 if behaviour == "slow" else 1)
        words = words[:limit]
        if behaviour == "json":
            choices = [
                {"text": "".join(words), "index": i, "logprobs": None, "finish_reason": "length"}
                for i in range(n)
            ]
            self._json(200, {"object": "text_completion", "choices": choices})
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        stops_after = {
            "stall": 2, "cut": 3, "eof": 3, "malformed": 2, "error-event": 2, "full": 2
        }.get(behaviour)  # fmt: skip
        try:
            for count, word in enumerate(words):
                if stops_after is not None and count == stops_after:
                    break
                for index in range(n):
                    self._event(self._chunk(word, index, logprobs))
                if behaviour == "slow":
                    time.sleep(0.05)
            if behaviour == "stall":
                fault._release.wait(30)
                return
            if behaviour == "cut":
                payload = b'data: {"choices": [{"text": " lost", "index": 0}]}\n\n'
                self.wfile.write(b"%x\r\n" % len(payload) + payload[:10])
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if behaviour == "malformed":
                self._raw_event(b'data: {"choices": [{"text": " broken\n\n')
            elif behaviour in ("error-event", "full"):
                said = "slot 0 failed" if behaviour == "error-event" else FULL
                self._event({"error": {"code": 500, "message": said, "type": "server_error"}})
            elif behaviour != "eof":
                reason = "length" if len(words) >= limit else "stop"
                for index in range(n):
                    self._event(
                        {
                            "object": "text_completion",
                            "choices": [
                                {
                                    "text": "",
                                    "index": index,
                                    "logprobs": None,
                                    "finish_reason": reason,
                                }
                            ],
                        }
                    )
                if body.get("stream_options", {}).get("include_usage"):
                    self._event({"choices": [], "usage": {"completion_tokens": len(words) * n}})
                self._raw_event(b"data: [DONE]\n\n")
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            with fault._lock:
                fault.disconnects += 1

    def _chunk(self, word: str, index: int, logprobs: int) -> dict[str, Any]:
        choice: dict[str, Any] = {
            "text": word,
            "index": index,
            "logprobs": None,
            "finish_reason": None,
        }
        if logprobs and self.fault.flavour == "llama.cpp":
            top = [{"token": word, "logprob": -0.5}, {"token": " and", "logprob": -1.5}]
            choice["logprobs"] = {
                "content": [{"token": word, "logprob": -0.5, "top_logprobs": top}]
            }
        elif logprobs:
            choice["logprobs"] = {
                "tokens": [word],
                "token_logprobs": [-0.5],
                "top_logprobs": [{word: -0.5, " and": -1.5}],
                "text_offset": [0],
            }
        return {"object": "text_completion", "model": self.fault.models[0], "choices": [choice]}

    def _event(self, data: dict[str, Any]) -> None:
        self._raw_event(b"data: " + json.dumps(data).encode() + b"\n\n")

    def _raw_event(self, payload: bytes) -> None:
        self.wfile.write(b"%x\r\n" % len(payload) + payload + b"\r\n")
        self.wfile.flush()

    # Plain answers --------------------------------------------------------------------------
    def _send(
        self, status: int, kind: str, payload: bytes, extra: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Connection", "close")
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)

    def _json(self, status: int, data: Any, extra: dict[str, str] | None = None) -> None:
        self._send(status, "application/json", json.dumps(data).encode(), extra)

    def _error(self, status: int, message: str, extra: dict[str, str] | None = None) -> None:
        kind = "authentication_error" if status in (401, 403) else "server_error"
        self._json(status, {"error": {"code": status, "message": message, "type": kind}}, extra)


_TOKENIZE: dict[str, dict[str, tuple[str, str, str]]] = {
    "llama.cpp": {
        "/tokenize": ("tokenize", "content", ""),
        "/detokenize": ("detok", "", "content"),
    },
    "vllm": {"/tokenize": ("tokenize", "prompt", ""), "/detokenize": ("detok", "", "prompt")},
    "llama-cpp-python": {
        "/extras/tokenize": ("tokenize", "input", ""),
        "/extras/detokenize": ("detok", "", "text"),
    },
}


def _vllm_problem(body: dict[str, Any]) -> str | None:
    """What vLLM's request validation would say about ``body`` (None: accepted)."""
    for key, value in body.items():
        kinds = VLLM_FIELDS.get(key)
        if kinds is None:
            return (
                f"1 validation error for CompletionRequest\n{key}\n  Extra inputs are not permitted"
            )
        if isinstance(value, bool) and bool not in (
            kinds if isinstance(kinds, tuple) else (kinds,)
        ):
            return f"{key}: a boolean is not allowed"
        if not isinstance(value, kinds):
            return f"{key}: wrong type {type(value).__name__}"
    if "prompt" not in body or "model" not in body:
        return "model and prompt are required"
    if body.get("top_k") == 0:
        return "top_k must be -1 (disable), or at least 1, got 0."
    return None
