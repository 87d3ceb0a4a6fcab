"""Length-prefixed JSON frames over a pipe: the engine process's wire format.

Each frame is a 4-byte big-endian length and that many bytes of UTF-8 JSON (one object).
``PROTOCOL`` is bumped whenever a message changes meaning.
"""

from __future__ import annotations

import json
import os
import struct
import threading
from typing import Any

PROTOCOL = 1
_HEADER = struct.Struct(">I")
MAX_FRAME = 64 * 1024 * 1024


class FrameWriter:
    """Writes whole frames to a file descriptor; safe to share between threads."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._lock = threading.Lock()

    def send(self, message: dict[str, Any]) -> None:
        data = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        frame = _HEADER.pack(len(data)) + data
        with self._lock:
            view = memoryview(frame)
            while view:
                written = os.write(self.fd, view)
                view = view[written:]


def _read_exact(fd: int, n: int) -> bytes | None:
    chunks: list[bytes] = []
    while n:
        chunk = os.read(fd, n)
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int) -> dict[str, Any] | None:
    """The next message, or None at end of file (the other side is gone)."""
    header = _read_exact(fd, _HEADER.size)
    if header is None:
        return None
    (size,) = _HEADER.unpack(header)
    if size > MAX_FRAME:
        raise ValueError(f"frame of {size} bytes is too large")
    data = _read_exact(fd, size)
    if data is None:
        return None
    message = json.loads(data.decode("utf-8"))
    if not isinstance(message, dict):
        raise ValueError("a frame must hold a JSON object")
    return message
