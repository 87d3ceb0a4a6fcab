"""``SafeTextArea``: every text area of the app, with an undo that never fails."""

from __future__ import annotations

from textual import events

from tui.key_order import run_binding_first
from tui.textual_private import CursorKeptInText


class SafeTextArea(CursorKeptInText):
    """A ``TextArea`` whose Ctrl+Z and Ctrl+Y never end the app
    (:class:`~tui.textual_private.CursorKeptInText`), whose keys keep their order and where
    Alt+letter types nothing (:mod:`tui.key_order`): the editor's base, and the text areas of
    dialogs and side panes."""

    async def _on_key(self, event: events.Key) -> None:
        await run_binding_first(self, event)
