"""The main screen's writing tools: spelling, the watched file, recent files and the day's goal.

Each tool is its own module (:mod:`tui.spelling`, :mod:`tui.file_watch`, :mod:`tui.goals`,
:mod:`tui.store.recent`); this mixin starts them with the screen and gives their keys actions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.binding import Binding, BindingType

if TYPE_CHECKING:
    from textual.timer import Timer

    from tui.file_watch import FileWatch
    from tui.goals import Goals
    from tui.spelling.control import Spelling
    from tui.widgets.editor import WriterEditor
    from tui.widgets.status import StatusBar

TOOL_BINDINGS: list[BindingType] = [
    Binding(
        "f10",
        "spelling",
        "Spelling suggestions (here, else the next unknown word)",
        id="editor.spelling",
        show=False,
    ),
]


class WriterTools:
    """Mixed into :class:`~tui.screens.main.MainScreen` (its ``app``, ``editor``, ``status``)."""

    app: Any
    editor: WriterEditor
    status: StatusBar
    spelling: Spelling
    file_watch: FileWatch
    goals: Goals
    _tools_timer: Timer
    _checked_key = ""
    """The document the last whole-draft spelling pass was for."""

    def start_tools(self) -> None:
        """Called as the screen mounts: the dictionaries load in a worker, the file is watched,
        and ``quillpen`` alone offers the recent files."""
        from tui.file_watch import INTERVAL, FileWatch
        from tui.goals import Goals
        from tui.spelling.control import Spelling

        app, screen = self.app, self
        session, settings = app.session, app.settings
        self.spelling = Spelling(screen, self.editor, settings)  # type: ignore[arg-type]
        self.file_watch = FileWatch(screen, session)  # type: ignore[arg-type]
        self.goals = Goals(session, self.status, settings)
        screen.watch(self.status, "words", self.goals.update)  # type: ignore[attr-defined]
        self._tools_timer = screen.set_interval(INTERVAL, self._tick)  # type: ignore[attr-defined]
        screen.call_after_refresh(self.spelling.start)  # type: ignore[attr-defined]
        self._checked_key = session.document.key  # (the pass runs once the words are loaded)
        from tui.store import recent

        if session.document.path is not None:
            recent.remember(session.document.path)
        elif app.file is None and not session.unsaved and recent.load():
            session.run(session.open_from_list(start_in_recent=True))

    def tool_commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        """The palette's entries for these tools."""
        session = self.app.session
        return [
            (
                "Spelling: suggestions",
                "For the unknown word here, else the next (F10)",
                self.action_spelling,
            ),
            (
                "Spelling: on/off",
                "Underline unknown words, or not (this session)",
                self.spelling.toggle,
            ),
            ("Spelling: check the whole draft", "Count the unknown words", self.count_unknown),
            (
                "Open recent file…",
                "The files opened lately (Ctrl+O lists them too)",
                lambda: session.run(self._open_recent()),
            ),
            (
                "Reload from disk",
                "Read the file again (asks first if you have unsaved edits)",
                lambda: session.run(self.file_watch.ask_reload()),
            ),
            (
                "Compare with the file on disk",
                "Your text against the saved file (difflib)",
                lambda: session.run(self.file_watch.compare()),
            ),
            (
                "Word goal for this document…",
                "Words (字) a day; the status bar counts today's",
                self.ask_goal,
            ),
        ]

    async def _open_recent(self) -> None:
        session = self.app.session
        if await session.settle_unsaved():
            await session.open_from_list(start_in_recent=True)

    def count_unknown(self) -> None:
        self.spelling.check_draft(say=True)

    def _tick(self) -> None:
        self.file_watch.check()
        self.goals.update()
        document = self.app.session.document
        if document.key != self._checked_key:  # another document (opened, or saved as)
            self._checked_key = document.key
            self.spelling.check_draft()  # checked in the background
            if document.path is not None:
                from tui.store import recent

                recent.remember(document.path)  # (here, not as it opens: after the frame)

    def action_spelling(self) -> None:
        self.spelling.suggest()

    def ask_goal(self) -> None:
        """The palette's "Word goal for this document…"."""
        from tui.screens.goal import GoalScreen

        def chosen(goal: int | None) -> None:
            if goal is not None:
                self.goals.set_goal(goal)

        self.app.push_screen(GoalScreen(self.goals.goal()), chosen)
