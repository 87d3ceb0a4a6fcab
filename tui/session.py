"""The document's life in the app: open, save, save as, the questions they ask, and its journal.

:class:`DocumentSession` owns the :class:`~tui.document.Document` behind the editor, whether it
has unsaved changes, its memory and author's note, and its recovery journal. Flows that ask the
user something (Latin-1? replace? unsaved changes?) are ``async`` methods that
``await push_screen_wait(...)``; the app runs each one as a worker (:meth:`DocumentSession.run`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from models.errors import QuillpenError
from models.text import printable
from tui.document import Document, NotUtf8
from tui.encoding_question import may_change_encoding
from tui.store import journal
from tui.store.marks import load_marks, save_marks
from tui.store.notes import StoryNotes, load_notes, save_notes
from tui.text_stats import LineCounts

if TYPE_CHECKING:  # (the dialogs are imported when asked: after the first frame)
    from textual.screen import Screen
    from textual.timer import Timer
    from textual.worker import Worker

    from tui.side_panes import SidePanes
    from tui.widgets.chat import ChatPane
    from tui.widgets.editor import WriterEditor
    from tui.widgets.status import StatusBar

JOURNAL_DELAY = 0.5


class SessionHost(Protocol):
    """What the session needs of the app (not the app class: no import circle)."""

    editor: WriterEditor
    status: StatusBar
    sub_title: Any

    panes: SidePanes
    """The chat pane is made after the first frame (``panes.made_chat``: None until then)."""

    @property
    def chat(self) -> ChatPane:
        """The chat pane (made now if it was not yet)."""
        ...

    def notify(
        self, message: str, *, title: str = ..., severity: Any = ..., timeout: Any = ...
    ) -> None: ...

    def push_screen_wait(self, screen: Screen[Any]) -> Awaitable[Any]: ...

    def run_worker(
        self, work: Any, *, group: str = ..., exit_on_error: bool = ...
    ) -> Worker[Any]: ...

    def set_timer(self, delay: float, callback: Callable[[], object]) -> Timer: ...

    def exit(self) -> None: ...


class DocumentSession:
    """The document behind the editor, and every flow that opens, saves or leaves it."""

    def __init__(self, app: SessionHost) -> None:
        self.app = app
        self.document = Document()
        self.dirty = False
        self.notes = StoryNotes()
        self._clean_text: str | None = ""
        self._journal_timer: Timer | None = None
        self._counts = LineCounts()

    @property
    def clean_text(self) -> str | None:
        """The text as last read or saved (None: a recovered draft, never saved)."""
        return self._clean_text

    @property
    def unsaved(self) -> bool:
        """Whether the text differs from the saved file's (undoing back to it is no change)."""
        return self.app.editor.text != self._clean_text

    def forget_saved(self) -> None:
        """The file is no longer the text last saved (changed or deleted by another program):
        the text is unsaved until written again, even where it is what was saved."""
        self._clean_text = None
        self.dirty = True
        self.update_title()

    def run(self, flow: Awaitable[object]) -> None:
        """Run a flow that may ask questions (it awaits dialogs: a worker)."""
        self.app.run_worker(flow, group="document", exit_on_error=False)

    # Showing a document ----------------------------------------------------------------------
    def show(self, doc: Document, text: str, *, recovered: bool = False) -> None:
        editor = self.app.editor
        self.document = doc
        self.notes = load_notes(doc.key)
        self._clean_text = None if recovered else text
        editor.load_text(text)
        editor.markdown.use(editor, doc.path)
        editor.move_cursor(editor.document.end)  # Tab continues the text, not its top
        editor.clear_marks()
        if doc.path is not None and not recovered:
            editor.restore_marks(load_marks(doc.key, text))
        editor.branches.open(doc.key, fresh=doc.path is None and not recovered)
        editor.show_branch()
        self.dirty = recovered
        self.app.status.context_used = self.app.status.hidden_chars = 0  # (nothing sent yet)
        if (chat := self.app.panes.made_chat) is not None:  # (else it opens this one when made)
            chat.set_document(doc.key)
        self.update_title()
        self.count_words()

    def start_untitled(self) -> None:
        """An untitled document: the draft a crash left behind, if any, else empty."""
        self.offer_recovered(Document(), "")

    def offer_recovered(self, doc: Document, text: str) -> None:
        """Show ``doc``, or the newer text a crash left in its journal, saying so."""
        recovered = journal.read_journal(doc.path)
        if recovered is None or recovered == text:
            journal.clear_journal(doc.path)
            self.show(doc, text)
            return
        self.show(doc, recovered, recovered=True)
        what = "unsaved text" if doc.path else "an untitled draft"
        self.app.notify(
            f"Recovered {what} from the last session (shown now). Save it with Ctrl+S, or run "
            "'Discard recovered text' from the palette (Ctrl+P).",
            title="Recovered",
            severity="warning",
            timeout=15,
        )

    def open_path(self, path: Path, encoding: str | None = None) -> None:
        try:
            doc, text = Document.open(path, encoding=encoding)
        except NotUtf8 as exc:
            self.run(self._ask_latin1(path, str(exc)))
            return
        except QuillpenError as exc:
            self.app.notify(str(exc), title="Cannot open", severity="error", timeout=10)
            if not self.document.path and not self.app.editor.text:
                self.show(Document(), "")
            return
        self.offer_recovered(doc, text)

    async def _ask_latin1(self, path: Path, question: str) -> None:
        from tui.screens.dialogs import Choice

        choice = await self.app.push_screen_wait(
            Choice(question, [("latin1", "Open as Latin-1"), ("cancel", "Cancel")])
        )
        if choice == "latin1":
            self.open_path(path, encoding="latin-1")
        elif not self.app.editor.text:
            self.show(Document(), "")

    def update_title(self) -> None:
        self.app.sub_title = f"{self.document.name}{' ●' if self.dirty else ''}"

    def count_words(self) -> None:
        stats = self._counts.count(self.app.editor.document.lines)
        self.app.status.words = stats.words
        self.app.status.word_unit = stats.unit

    # The journal -----------------------------------------------------------------------------
    def text_changed(self) -> None:
        if not self.dirty and self.app.editor.text != self._clean_text:
            self.dirty = True
            self.update_title()
        self.schedule_journal()

    def schedule_journal(self) -> None:
        if self._journal_timer is None:
            self._journal_timer = self.app.set_timer(JOURNAL_DELAY, self.flush_journal)

    def flush_journal(self) -> None:
        """Write the recovery copy now (also on SIGHUP and before every generation)."""
        if self._journal_timer is not None:
            self._journal_timer.stop()
            self._journal_timer = None
        self.count_words()
        if not self.unsaved:
            if self.dirty:  # undone back to the saved text: nothing to save, nor to recover
                self.dirty = False
                self.update_title()
                journal.clear_journal(self.document.path)
            return
        try:
            journal.write_journal(self.document.path, self.app.editor.text)
        except OSError as exc:
            self.app.notify(f"cannot write the recovery copy: {exc}", severity="error")

    def journal_now(self) -> None:
        """Write the recovery copy at once, touching no widget (safe in a signal handler)."""
        if self.unsaved:
            journal.write_journal(self.document.path, self.app.editor.text)

    # Saving ----------------------------------------------------------------------------------
    async def save(self) -> bool:
        """Ctrl+S: save (asking a name for an untitled document, and before overwriting)."""
        if self.document.path is None:
            return await self.save_as()
        if not await may_change_encoding(self.app, self.document):
            return False
        if self.document.changed_on_disk():
            from tui.screens.dialogs import Choice

            question = f"{self.document.name} changed on disk since you opened it. Overwrite it?"
            answer = await self.app.push_screen_wait(
                Choice(question, [("overwrite", "Overwrite"), ("cancel", "Cancel")])
            )
            if answer != "overwrite":
                return False
        return self.write(None)

    async def save_as(self, path: Path | None = None) -> bool:
        """Save under ``path`` (asked for when None), asking before replacing another file."""
        if path is None:
            from tui.screens.dialogs import AskPath

            path = await self.app.push_screen_wait(AskPath("Save as:"))
            if path is None:
                return False
        target = path.expanduser()
        if target.is_dir():
            self.app.notify(f"{target} is a folder: give a file name", title="Not saved")
            return False
        current = self.document.path
        own_file = current is not None and _same_file(current, target)
        if not own_file and not await may_replace(self.app, target, "this document"):
            return False
        if not await may_change_encoding(self.app, self.document):
            return False
        return self.write(target)

    def write(self, path: Path | None, *, quiet: bool = False) -> bool:
        """Write the editor's text (to ``path``, or the document's own file)."""
        app, old_path = self.app, self.document.path  # a save-as moves the document's journal
        try:
            self.document.save(app.editor.text, path)
        except QuillpenError as exc:
            app.notify(str(exc), title="Not saved", severity="error", timeout=12)
            self.flush_journal()
            return False
        for notice in self.document.notices:
            app.notify(notice, severity="warning")
        self.document.notices.clear()
        self.dirty = False
        self._clean_text = app.editor.text
        journal.clear_journal(self.document.path)
        journal.clear_journal(old_path)
        if self.notes != StoryNotes():
            save_notes(self.document.key, self.notes)
        save_marks(self.document.key, app.editor.text, app.editor.generated_ranges())
        app.editor.branches.rekey(self.document.key)
        app.chat.set_document(self.document.key, keep_history=True)
        if path is not None:  # (saved as .md: Markdown highlighting from now on)
            app.editor.markdown.use(app.editor, self.document.path)
        self.update_title()
        if not quiet:
            app.notify(f"Saved {self.document.path}", timeout=3)
        return True

    def autosave(self) -> None:
        """Save a named, changed document unless someone else changed the file meanwhile."""
        doc = self.document
        if (
            self.dirty
            and doc.path is not None
            and not doc.changed_on_disk()
            and doc.first_misfit(self.app.editor.text) is None  # (else Ctrl+S asks first)
        ):
            self.write(None, quiet=True)

    # Leaving the document --------------------------------------------------------------------
    async def settle_unsaved(self) -> bool:
        """True once unsaved changes are saved or discarded; False if the user cancels."""
        if not self.unsaved:
            return True
        from tui.screens.dialogs import Choice

        question = f"{self.document.name} has unsaved changes."
        choice = await self.app.push_screen_wait(
            Choice(question, [("save", "Save"), ("discard", "Discard"), ("cancel", "Cancel")])
        )
        if choice == "save":
            return await self.save()
        if choice == "discard":
            journal.clear_journal(self.document.path)
            self.dirty = False
            self._clean_text = self.app.editor.text
            return True
        return False

    async def new(self) -> None:
        if await self.settle_unsaved():
            self.start_untitled()

    async def open(self) -> None:
        if await self.settle_unsaved():
            await self.open_from_list()

    async def open_from_list(self, *, start_in_recent: bool = False) -> None:
        """The Open dialog: a path, a recent file, or one from the file tree."""
        from tui.screens.open_file import OpenFile
        from tui.store import recent

        here = self.document.path.parent if self.document.path else Path.cwd()
        screen = OpenFile(here, recent.load(), start_in_recent=start_in_recent)
        path = await self.app.push_screen_wait(screen)
        if path is not None:
            self.open_path(path)

    async def quit(self) -> None:
        if await self.settle_unsaved():
            journal.clear_journal(self.document.path)
            self.app.exit()

    async def discard_recovery(self) -> None:
        """The palette's "Discard recovered text": asks first (it cannot be undone)."""
        from tui.screens.dialogs import Choice

        doc = self.document
        where = doc.path.name if doc.path else "an empty untitled document"
        choice = await self.app.push_screen_wait(
            Choice(
                f"Throw away the text in the editor and go back to {where}? This cannot be undone.",
                [("discard", "Discard"), ("cancel", "Cancel")],
            )
        )
        if choice != "discard":
            return
        journal.clear_journal(doc.path)
        self.dirty = False
        if doc.path is not None:
            self.open_path(doc.path)
        else:
            self.show(Document(), "")

    async def edit_notes(self) -> None:
        """F8: edit the memory and author's note of this document."""
        from tui.screens.notes import NotesScreen

        notes: StoryNotes | None = await self.app.push_screen_wait(NotesScreen(self.notes))
        if notes is not None:
            self.notes = notes
            if not save_notes(self.document.key, notes):
                self.app.notify("Could not store the notes on disk (kept for this session).")


async def may_replace(host: SessionHost, target: Path, what: str) -> bool:
    """True when ``target`` does not exist yet, or the user chose to replace it with ``what``."""
    if not target.exists():
        return True
    from tui.screens.dialogs import Choice

    answer = await host.push_screen_wait(
        Choice(
            f"{printable(str(target))} already exists. Replace it with {what}?",
            [("replace", "Replace"), ("cancel", "Cancel")],
        )
    )
    return bool(answer == "replace")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False
