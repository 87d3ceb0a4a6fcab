"""The open file, watched: a change by another program is said at once, not at save time.

Once a second the file's size and modification time are compared with what the document read
or last wrote (a ``stat``: microseconds). Quillpen's own saves update that record as they write,
so they never ask. When the file changed, its text is read: the same text as the editor's last
saved one (a ``touch``) is taken quietly; else the writer chooses: reload (asking first when
there are unsaved edits), keep theirs, or see the differences. A deleted file is said once; the
text stays in the editor, marked unsaved, and Ctrl+S writes it again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from models.errors import QuillpenError
from tui.document import DiskState, Document
from tui.store import journal

if TYPE_CHECKING:
    from textual.screen import Screen
    from textual.timer import Timer

    from tui.session import DocumentSession

INTERVAL = 1.0
"""Seconds between two looks at the file."""


class FileWatch:
    """Looks at the session's file every :data:`INTERVAL` seconds while the screen runs."""

    def __init__(self, screen: Screen[None], session: DocumentSession) -> None:
        self.screen = screen
        self.session = session
        self.asking = False
        self._timer: Timer | None = None

    def start(self) -> None:
        self._timer = self.screen.set_interval(INTERVAL, self.check)

    def check(self) -> None:
        """Compare the file with what the document knows of it; ask if it changed."""
        doc = self.session.document
        if self.asking or doc.path is None or doc.disk is None:
            return
        if self.session.app.editor.generating:
            return  # (asked once the model has finished writing)
        now = DiskState.of(doc.path)
        if now == doc.disk:
            return
        if now is None:
            self._deleted()
            return
        try:
            _, text = Document.open(doc.path, encoding=doc.encoding)
        except QuillpenError:
            text = None  # (unreadable now: still worth saying)
        if text is not None and text == self.session.clean_text:
            doc.disk = now  # touched, or written again with the same text
            return
        self.asking = True
        self.session.run(self._ask(text))

    def _deleted(self) -> None:
        session = self.session
        session.document.disk = None  # (watched again once saved)
        session.forget_saved()
        session.flush_journal()
        self.screen.notify(
            f"{session.document.name} was deleted or moved by another program. Your text is "
            "still here: Ctrl+S writes the file again.",
            title="File deleted",
            severity="warning",
            timeout=15,
        )

    async def _ask(self, disk_text: str | None) -> None:
        from tui.screens.dialogs import Choice

        try:
            answer = await self.screen.app.push_screen_wait(
                Choice(
                    f"{self.session.document.name} was changed by another program.",
                    [("reload", "Reload it"), ("keep", "Keep mine"), ("diff", "Show differences")],
                )
            )
            await self._decide(answer, disk_text)
        finally:
            self.asking = False

    async def _decide(self, answer: str | None, disk_text: str | None) -> None:
        """Reload, keep mine (None too), or show the differences and ask again there."""
        from tui.screens.dialogs import Choice
        from tui.screens.disk_changes import DiskChanges

        session, app = self.session, self.screen.app
        doc = session.document
        if answer == "diff":
            mine = app.editor.text  # type: ignore[attr-defined]
            answer = await app.push_screen_wait(DiskChanges(doc.name, mine, disk_text or ""))
        if answer == "reload" and session.unsaved:
            answer = await app.push_screen_wait(
                Choice(
                    f"Reloading {doc.name} throws away your unsaved edits.",
                    [("reload", "Reload, discard mine"), ("keep", "Keep mine")],
                )
            )
        if answer == "reload":
            self.reload()
        elif DiskState.of(doc.path) != doc.disk if doc.path else False:
            # Keep mine: the newer text now, unsaved; Ctrl+S overwrites the file.
            doc.disk = DiskState.of(doc.path) if doc.path else None
            session.forget_saved()
            session.flush_journal()

    def reload(self) -> None:
        """Read the file again, the editor's text replaced; the cursor keeps its line."""
        session = self.session
        path, encoding = session.document.path, session.document.encoding
        editor = session.app.editor
        row = editor.cursor_location[0]
        if path is None:
            return
        try:  # (unreadable now: the editor's text and its recovery copy stay as they are)
            Document.open(path, encoding=None if encoding == "utf-8" else encoding)
        except QuillpenError as exc:
            self.screen.notify(str(exc), title="Cannot reload", severity="error", timeout=10)
            return
        journal.clear_journal(path)  # (else its unsaved text would be offered back)
        session.dirty = False
        session.open_path(path, None if encoding == "utf-8" else encoding)
        editor.move_cursor((min(row, editor.document.line_count - 1), 0))

    def _disk_text(self) -> str | None:
        """The file's text now, or None (said) when there is none to read."""
        doc = self.session.document
        if doc.path is None or not doc.path.exists():
            self.screen.notify("This document has no file on disk yet.", title="Disk")
            return None
        try:
            return Document.open(doc.path, encoding=doc.encoding)[1]
        except QuillpenError as exc:
            self.screen.notify(str(exc), title="Cannot read", severity="error")
            return None

    async def ask_reload(self) -> None:
        """The palette's "Reload from disk"."""
        if self._disk_text() is not None:
            await self._decide("reload", None)

    async def compare(self) -> None:
        """The palette's "Compare with the file on disk"."""
        text = self._disk_text()
        if text is not None:
            await self._decide("diff", text)
