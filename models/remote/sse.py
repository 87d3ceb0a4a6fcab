"""Server-sent events, read with bounded memory.

httpx-sse buffers a line until its newline comes, however long: a server that never sends one
fills the client's memory. Here a line longer than :data:`LINE_LIMIT`, or an event whose data
passes :data:`EVENT_LIMIT`, ends the stream with a plain :class:`RemoteError`.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import httpx
from httpx_sse import ServerSentEvent

from models.remote.errors import RemoteError

LINE_LIMIT = 1024 * 1024
"""Bytes in one line of an event stream."""
EVENT_LIMIT = 1024 * 1024
"""Bytes of data in one event (a completions chunk is a few hundred)."""


def _too_long(what: str, limit: int) -> RemoteError:
    return RemoteError(
        f"The server sent {what} longer than {limit // 1024} KB: quillpen stopped reading it."
    )


class _Decoder:
    """Lines to events (the SSE format: ``event:``, ``data:``, a blank line ends one)."""

    def __init__(self) -> None:
        self.event = ""
        self.data: list[str] = []
        self.size = 0

    def line(self, raw: bytes) -> ServerSentEvent | None:
        if not raw:
            if not self.data and not self.event:
                return None
            sse = ServerSentEvent(event=self.event or "message", data="\n".join(self.data))
            self.event, self.data, self.size = "", [], 0
            return sse
        text = raw.decode("utf-8", "replace")
        name, _, value = text.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self.size += len(raw)
            if self.size > EVENT_LIMIT:
                raise _too_long("an event", EVENT_LIMIT)
            self.data.append(value)
        elif name == "event":
            self.event = value
        return None


async def sse_events(response: httpx.Response) -> AsyncGenerator[ServerSentEvent, None]:
    """The events of a streamed answer, every line and event bounded."""
    decoder = _Decoder()
    buffer = bytearray()
    async for piece in response.aiter_bytes():
        buffer += piece
        start = 0
        while True:
            newline = _line_end(buffer, start)
            if newline < 0:
                break
            end = newline + (2 if buffer[newline : newline + 2] == b"\r\n" else 1)
            sse = decoder.line(bytes(buffer[start:newline]))
            start = end
            if sse is not None:
                yield sse
        del buffer[:start]
        if len(buffer) > LINE_LIMIT:
            raise _too_long("a line", LINE_LIMIT)
    if buffer:
        sse = decoder.line(bytes(buffer).rstrip(b"\r"))
        if sse is not None:
            yield sse
    sse = decoder.line(b"")
    if sse is not None:
        yield sse


def _line_end(buffer: bytearray, start: int) -> int:
    """Where the next complete line ends (``\\n``, ``\\r\\n`` or ``\\r``), or -1."""
    lf = buffer.find(b"\n", start)
    cr = buffer.find(b"\r", start, lf if lf >= 0 else len(buffer))
    if cr >= 0 and (cr + 1 < len(buffer) or lf >= 0):
        return cr  # a lone \r, or the \r of \r\n (a \r at the very end waits for more)
    return lf
