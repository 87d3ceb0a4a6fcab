"""The engine process's side of streaming: generated pieces → ``chunk`` events, paced.

Plain requests keep the chunk form they always had ({id, text, tokens, tps}); requests for more
(alternatives, bans, token figures: :mod:`models.local.batch`) add ``seq`` and ``info`` per chunk,
one chunk per sequence with new text at each flush.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

from models.local.batch import Piece
from models.local.engine import Engine
from models.prompting.cjk import LineRestorer


class PieceStream:
    """Buffers one request's pieces and sends them as chunks (see the module doc)."""

    def __init__(
        self, send: Callable[[dict[str, Any]], None], request_id: int, engine: Engine, plain: bool
    ) -> None:
        self.send, self.request_id, self.engine, self.plain = send, request_id, engine, plain
        self.buffers: dict[int, list[Piece]] = {}
        self.last_flush = 0.0  # the first piece goes out at once

    def add(self, piece: Piece, interval: float) -> None:
        self.buffers.setdefault(piece.seq, []).append(piece)
        now = time.monotonic()
        if now - self.last_flush >= interval:
            self.flush()
            self.last_flush = now

    def flush(self) -> None:
        stats = self.engine.last_stats
        for seq, pieces in sorted(self.buffers.items()):
            if not pieces:
                continue
            message: dict[str, Any] = {
                "event": "chunk",
                "id": self.request_id,
                "text": "".join(p.text for p in pieces),
                "tokens": stats.generated_tokens,
                "tps": stats.tokens_per_second,
            }
            if not self.plain:
                message["seq"] = seq
                message["tokens"] = self.engine.last_sequences[seq].generated_tokens
                message["info"] = [t.to_wire() for p in pieces for t in p.tokens]
            self.send(message)
            pieces.clear()


def restore_lines(piece: Piece, lines: LineRestorer) -> Piece:
    """A WordPiece model's verse line breaks (:mod:`models.prompting.cjk`), token by token when the
    piece's tokens spell its text."""
    if lines.form == "prose":
        return piece
    if piece.tokens and "".join(t.text for t in piece.tokens) == piece.text:
        tokens = tuple(dataclasses.replace(t, text=lines.feed(t.text)) for t in piece.tokens)
        return dataclasses.replace(piece, text="".join(t.text for t in tokens), tokens=tokens)
    return dataclasses.replace(piece, text=lines.feed(piece.text))
