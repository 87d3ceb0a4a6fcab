"""A sink for engine events in tests: every event an engine client delivers, and waits for them."""

from __future__ import annotations

import threading
import time
from typing import Any

from models.engine_client import Chunk, Finished
from models.token_probs import TokenInfo


class Events:
    """Collects an engine client's events from its thread; waits for conditions, never sleeps."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self._cond = threading.Condition()

    def __call__(self, event: Any) -> None:
        with self._cond:
            self.items.append(event)
            self._cond.notify_all()

    def wait_for(self, kind: type, count: int = 1, timeout: float = 30) -> list[Any]:
        with self._cond:
            ok = self._cond.wait_for(
                lambda: len([e for e in self.items if isinstance(e, kind)]) >= count, timeout
            )
        found = [e for e in self.items if isinstance(e, kind)]
        assert ok, f"no {count}× {kind.__name__} within {timeout}s; got {self.items}"
        return found

    def of(self, request_id: int, kind: type = object) -> list[Any]:
        return [
            e
            for e in list(self.items)
            if isinstance(e, kind) and getattr(e, "request_id", None) == request_id
        ]

    def text(self, request_id: int, seq: int | None = None) -> str:
        chunks = self.of(request_id, Chunk)
        return "".join(e.text for e in chunks if seq is None or e.seq == seq)

    def infos(self, request_id: int, seq: int = 0) -> list[TokenInfo]:
        return [t for e in self.of(request_id, Chunk) if e.seq == seq for t in e.token_info]

    def finished(self, request_id: int, timeout: float = 10) -> Finished:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self.of(request_id, Finished):
                left = deadline - time.monotonic()
                assert left > 0, f"request {request_id} did not finish: {self.items}"
                self._cond.wait(left)
        return self.of(request_id, Finished)[0]  # type: ignore[no-any-return]
