"""``SafeTextArea``: the text areas of dialogs and side panes, with an undo that never fails."""

from __future__ import annotations

from textual import events
from textual.widgets import TextArea

from tui.keys import run_binding_first
from tui.textual_private import keep_cursor_in_text


class SafeTextArea(TextArea):
    """A ``TextArea`` whose Ctrl+Z and Ctrl+Y never end the app (:func:`keep_cursor_in_text`),
    whose keys keep their order and where Alt+letter types nothing (:mod:`tui.keys`)."""

    async def _on_key(self, event: events.Key) -> None:
        await run_binding_first(self, event)

    def _refresh_size(self) -> None:
        keep_cursor_in_text(self)
        super()._refresh_size()
