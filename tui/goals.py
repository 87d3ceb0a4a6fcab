"""The day's word goal in the status bar: "412 / 1,000 today".

The goal is the document's own (palette: "Word goal for this document…") or config.toml's
``goal``; progress is the document's count now less its count when the day began, which
:mod:`tui.store.goals` keeps, so a restart picks up where the day stood.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from tui.store import goals as store

if TYPE_CHECKING:
    from tui.config import Settings
    from tui.session import DocumentSession
    from tui.widgets.status import StatusBar


class Goals:
    """Keeps the status bar's goal up to date (:meth:`update` on each new count)."""

    def __init__(self, session: DocumentSession, status: StatusBar, settings: Settings) -> None:
        self.session = session
        self.status = status
        self.settings = settings
        self._for: tuple[str, str] | None = None
        """(document key, day) that ``_start`` and ``_goal`` belong to."""
        self._start = 0
        self._goal = 0

    def goal(self) -> int:
        own = store.document_goal(self.session.document.key)
        return self.settings.goal if own is None else own

    def update(self, *_: object) -> None:
        """Show the progress (a new count, another document, a new day)."""
        words = self.status.words
        key, day = self.session.document.key, datetime.date.today().isoformat()
        if self._for != (key, day):
            self._for = (key, day)
            self._goal = self.goal()
            self._start = store.day_start(key, day, words) if self._goal else words
        if not self._goal:
            self.status.goal = ""
            return
        done = max(0, words - self._start)
        self.status.goal = f"{done:,} / {self._goal:,} today"

    def set_goal(self, goal: int) -> None:
        """This document's goal from now on (0: none)."""
        store.set_document_goal(self.session.document.key, goal)
        self._for = None
        self.update()
