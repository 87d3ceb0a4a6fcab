"""Spelling in the app: the dictionaries loaded in a worker, the underline painted by the
editor, the whole-draft pass in a worker, and the suggestions key (F10)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from textual.widgets.text_area import Selection

from tui.spelling.marks import SpellMarks
from tui.textual_private import forget_rendered_lines

if TYPE_CHECKING:
    from textual.screen import Screen

    from tui.config import Settings
    from tui.spelling.checker import Speller
    from tui.widgets.editor import WriterEditor


class Spelling:
    """Unknown words of the editor's text, underlined; suggestions for one of them."""

    def __init__(self, screen: Screen[None], editor: WriterEditor, settings: Settings) -> None:
        self.screen = screen
        self.editor = editor
        self.language = settings.spelling_language
        self.marks = SpellMarks()
        self.marks.enabled = settings.spelling
        self.failed = ""
        """Why the dictionaries did not load (said once), or ""."""
        self.last_pass: tuple[int, int, float] | None = None
        """(lines, unknown words, seconds) of the last whole-draft pass."""
        editor.line_painters.append(self.marks.style)

    def start(self) -> None:
        """Load the dictionaries in a worker (≈ 1 s), unless spelling is off."""
        if self.marks.enabled and self.marks.speller is None and not self.failed:
            self.screen.run_worker(self._load, thread=True, group="spelling", exit_on_error=False)

    def _load(self) -> None:
        from tui.spelling.checker import Speller, SpellingUnavailable
        from tui.store import personal_words

        app = self.screen.app
        try:
            speller = Speller.load(self.language, personal_words.load())
        except SpellingUnavailable as exc:
            app.call_from_thread(self._failed, str(exc))
            return
        app.call_from_thread(self._loaded, speller)

    def _failed(self, why: str) -> None:
        self.failed = why
        self.screen.notify(
            f"Spelling is off: {why}. Set spelling_language in config.toml (docs/usage.md).",
            title="Spelling",
            severity="warning",
            timeout=10,
        )

    def _loaded(self, speller: Speller) -> None:
        self.marks.speller = speller
        self.redraw()
        self.check_draft()

    def redraw(self) -> None:
        forget_rendered_lines(self.editor)
        self.editor.refresh()

    def check_draft(self, *, say: bool = False) -> None:
        """Check the whole draft in a worker (the keys go on echoing meanwhile); ``say``: tell
        how many unknown words it holds."""
        if not self.marks.active:
            if say:
                self.suggest()  # (says why not)
            return
        lines = list(self.editor.document.lines)
        self.screen.run_worker(
            lambda: self._pass(lines, say), thread=True, group="spelling-pass", exclusive=True
        )

    def _pass(self, lines: list[str], say: bool) -> None:
        started = time.perf_counter()
        unknown = self.marks.check_all(lines)
        self.last_pass = (len(lines), unknown, time.perf_counter() - started)
        self.screen.app.call_from_thread(self._passed, unknown, say)

    def _passed(self, unknown: int, say: bool) -> None:
        self.redraw()
        if say:
            words = "1 unknown word" if unknown == 1 else f"{unknown:,} unknown words"
            self.screen.notify(f"{words} in the draft (F10 goes to the next).", title="Spelling")

    def toggle(self) -> None:
        """The palette's "Spelling: on/off" (for this session)."""
        self.marks.enabled = not self.marks.enabled
        self.failed = ""
        self.start()
        self.redraw()
        self.screen.notify(f"Spelling {'on' if self.marks.enabled else 'off'}.", title="Spelling")

    def suggest(self) -> None:
        """F10: suggestions for the unknown word at the cursor, else the next one."""
        if not self.marks.active:
            why = self.failed or ("loading the dictionary…" if self.marks.enabled else "off")
            self.screen.notify(f"Spelling is {why}" if why == "off" else f"Spelling: {why}")
            return
        editor = self.editor
        row, column = editor.cursor_location
        found = self.marks.next_unknown(editor.document.lines, row, column)
        if found is None:
            self.screen.notify("No unknown words.", title="Spelling")
            return
        row, start, end = found
        editor.selection = Selection((row, start), (row, end))
        editor.scroll_cursor_visible()
        word = editor.document.get_line(row)[start:end]
        speller = self.marks.speller
        assert speller is not None
        from tui.screens.spelling import ADD, SpellingScreen

        def chosen(choice: str | None) -> None:
            if choice == ADD:
                self.add_word(word)
            elif choice and editor.document.get_line(row)[start:end] == word:
                editor.history.checkpoint()
                editor.replace(choice, (row, start), (row, end))
                editor.history.checkpoint()

        self.screen.app.push_screen(SpellingScreen(word, speller.suggestions(word)), chosen)

    def add_word(self, word: str) -> None:
        """Never flag ``word`` again (kept in the data folder)."""
        from tui.store import personal_words

        speller = self.marks.speller
        if speller is not None:
            speller.add(word)
        self.marks.forget()
        self.redraw()
        if not personal_words.add(word):
            self.screen.notify(
                f'"{word}" is known until you quit: the dictionary file could not be written.',
                severity="warning",
            )
        else:
            self.screen.notify(f'Added "{word}" to your dictionary.', title="Spelling")
