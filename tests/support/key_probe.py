"""A bare Textual app that writes down every key it reads as quillpen reads it, and runs nothing.

``python -m tests.support.key_probe LOG``: one line per key, ``name<TAB>repr(character)``. No
binding of Textual's own (Ctrl+Q quits, Tab moves focus) runs, so every key reaches the log.
"""

from __future__ import annotations

import sys
from pathlib import Path

from textual import events
from textual.app import App, ComposeResult
from textual.widgets import Static

from tui.textual_private import read_alt_keys_whole


class KeyProbe(App[None], inherit_bindings=False):
    """Logs keys to ``log``; "ready" on screen once it reads them."""

    def __init__(self, log: Path) -> None:
        read_alt_keys_whole()  # (as quillpen's app does)
        super().__init__()
        self.key_log = log.open("a", encoding="utf-8")

    def compose(self) -> ComposeResult:
        yield Static("key probe ready")

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            self.key_log.write(f"{event.key}\t{event.character!r}\n")
            self.key_log.flush()
            return  # (no binding runs)
        await super().on_event(event)


if __name__ == "__main__":
    KeyProbe(Path(sys.argv[1])).run()
