"""Download progress for callers that are not a terminal (the app), with cancel."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from models.errors import QuillpenError

Report = Callable[[str, int, "int | None"], None]


class PullCancelled(QuillpenError):
    """The user cancelled a download; nothing partial is kept as if complete."""


def callback_progress(report: Report, cancel: threading.Event) -> type[Any]:
    """A tqdm-compatible class for huggingface_hub's ``tqdm_class`` that calls ``report``.

    ``report(description, done_bytes, total_bytes)`` runs in the downloading thread; setting
    ``cancel`` makes the next chunk raise :class:`PullCancelled`.
    """

    class _Progress:
        def __init__(
            self, *args: Any, total: int | None = None, initial: int = 0, desc: str = "", **kw: Any
        ) -> None:
            self.total = total
            self.n = initial or 0
            self.desc = desc or ""
            report(self.desc, self.n, self.total)

        def __enter__(self) -> _Progress:
            return self

        def __exit__(self, *exc: object) -> None:
            self.close()

        def update(self, n: float | None = 1) -> None:
            if cancel.is_set():
                raise PullCancelled("download cancelled; pull again to start over")
            self.n += int(n or 0)
            report(self.desc, self.n, self.total)

        def set_description(self, desc: str | None = None, refresh: bool = True) -> None:
            self.desc = desc or ""

        def refresh(self) -> None:
            pass

        def close(self) -> None:
            pass

    return _Progress
