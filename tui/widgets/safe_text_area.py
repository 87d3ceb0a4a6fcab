"""``SafeTextArea``: every text area of the app, with an undo that never fails."""

from __future__ import annotations

from tui.textual_private import CursorKeptInText


class SafeTextArea(CursorKeptInText):
    """A ``TextArea`` whose Ctrl+Z and Ctrl+Y never end the app: the editor's base, and the
    text areas of dialogs and side panes (:class:`~tui.textual_private.CursorKeptInText`)."""
