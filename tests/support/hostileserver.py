"""A loopback HTTP server that answers each path with whatever bytes a test gives it.

For hostile answers: a body of hundreds of megabytes, a line with no end, one huge event, more
tokens than asked for. Each answer is a function that returns (status, content type, chunks);
the chunks are sent as they come (no Content-Length: the body ends when the socket closes), so
a client that reads a bounded amount can hang up early. :attr:`HostileServer.sent` counts the
bytes it sent, so a test can show the flood was real.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Answer = Callable[[], tuple[int, str, Iterable[bytes]]]
CHUNK = 64 * 1024


def json_answer(data: Any) -> Answer:
    return lambda: (200, "application/json", [json.dumps(data).encode()])


def models_answer(model: str = "hostile") -> Answer:
    """A plain OpenAI ``/v1/models`` answer (an unknown server: no tokenizer endpoint)."""
    return json_answer({"object": "list", "data": [{"id": model, "owned_by": "someone"}]})


def repeat(piece: bytes, total: int, head: bytes = b"", tail: bytes = b"") -> Iterator[bytes]:
    """``head``, then ``piece`` over and over to ``total`` bytes in 64 KB chunks, then ``tail``."""
    yield head
    chunk = piece * max(1, CHUNK // len(piece))
    sent = 0
    while sent < total:
        yield chunk
        sent += len(chunk)
    yield tail


def events(texts: Iterable[str]) -> Iterator[bytes]:
    """Completions events, one per text, each a token; never a finish_reason or [DONE]."""
    for text in texts:
        data = {"choices": [{"index": 0, "text": text, "finish_reason": None}]}
        yield b"data: " + json.dumps(data).encode() + b"\n\n"


class HostileServer:
    def __init__(self, answers: dict[str, Answer]) -> None:
        self.answers = answers
        self.sent = 0
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.hostile = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def url(self) -> str:
        return self.root + "/v1"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self) -> None:
        server: HostileServer = self.server.hostile  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        answer = server.answers.get(self.path.partition("?")[0])
        if answer is None:
            self.send_error(404)
            return
        status, kind, chunks = answer()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.end_headers()
        try:
            for chunk in chunks:
                self.wfile.write(chunk)
                server.sent += len(chunk)
        except OSError:  # the client hung up: what a bounded client does
            pass

    do_GET = _answer
    do_POST = _answer
