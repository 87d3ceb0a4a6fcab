"""The find bar under the editor: find as you type, replace one or all, go to a line.

Three modes of one bar: ``find`` (a pattern, its count "3 of 17", keys for next and previous,
switches for case, whole word and regular expression), ``replace`` (the same, with a second
field) and ``goto`` (a line number, or LINE:COLUMN). The editor draws the matches
(:class:`~tui.widgets.find_marks.FoundSpans`); the search itself is :mod:`tui.find`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label
from textual.widgets.text_area import Selection

from tui.find import (
    FindOptions,
    Hit,
    Mode,
    compile_pattern,
    find_hits,
    find_text,
    parse_line_target,
)
from tui.widgets.find_marks import go_to

if TYPE_CHECKING:
    from textual.timer import Timer

    from tui.widgets.generated_text import GeneratedTextArea

RESCAN_AFTER = 0.15
"""Seconds after the text last changed (typed or streamed) before the matches are found again."""
SWITCHES = (("case", "Aa", "match case"), ("word", "W", "whole words"), ("regex", ".*", "regex"))


class FindBar(Vertical):
    """Find, replace and go to line, for the editor it is given."""

    DEFAULT_CSS = Path(__file__).with_name("find_bar.tcss").read_text(encoding="utf-8")
    BINDINGS = [
        Binding("enter", "submit", "Next match / replace / go", id="find.submit", show=False),
        Binding("down", "step(1)", "Next match", id="find.next", show=False),
        Binding("up", "step(-1)", "Previous match", id="find.previous", show=False),
        Binding("ctrl+t", "switch('case')", "Find: match case", id="find.case", show=False),
        Binding("ctrl+l", "switch('word')", "Find: whole words", id="find.word", show=False),
        Binding(
            "ctrl+r", "switch('regex')", "Find: regular expression", id="find.regex", show=False
        ),
        Binding("ctrl+y", "replace_all", "Replace all", id="find.replace_all", show=False),
        Binding("escape", "close", "Close the find bar", id="find.close", show=False),
    ]

    def __init__(self, editor: GeneratedTextArea, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.editor = editor
        self.mode: Mode = "find"
        self.options = FindOptions()
        self.pattern: re.Pattern[str] | None = None
        self.hits: list[Hit] = []
        self.current = -1
        self._rescan: Timer | None = None
        self._other_text = ""
        self._replaced: int | None = None
        """How many "Replace all" changed: said until the pattern or its options change."""
        """What the field held in the other kind of mode (a pattern, or a line number)."""

    def compose(self) -> ComposeResult:
        with Horizontal(classes="find-row"):
            yield Label("Find", id="find-label", classes="find-label")
            yield Input(placeholder="text to find", id="find-input", compact=True)
            yield Label("", id="find-count")
            for name, text, tip in SWITCHES:
                switch = Label(text, id=f"find-{name}", classes="find-switch")
                switch.tooltip = tip
                yield switch
        with Horizontal(id="replace-row", classes="find-row"):
            yield Label("Replace", classes="find-label")
            yield Input(placeholder="Enter: one · Ctrl+Y: all", id="replace-input", compact=True)

    @property
    def find_input(self) -> Input:
        return self.query_one("#find-input", Input)

    @property
    def replace_input(self) -> Input:
        return self.query_one("#replace-input", Input)

    def open(self, mode: Mode) -> None:
        """Show the bar in ``mode``, the selected text (if on one line) as the pattern."""
        if (mode == "goto") != (self.mode == "goto"):  # each mode keeps its own text
            self._other_text, self.find_input.value = self.find_input.value, self._other_text
        self.mode = mode
        self.display = True
        if mode != "goto":  # (the cursor line's shade would cover the matches on it)
            self.editor.highlight_cursor_line = False
        for name in ("find", "replace", "goto"):
            self.set_class(mode == name, f"-{name}")
        label = self.query_one("#find-label", Label)
        field = self.find_input
        if mode == "goto":
            label.update("Go to")
            field.placeholder = "line, or line:column"
            self._say(f"1-{self.editor.document.line_count}")
        else:
            label.update("Find")
            field.placeholder = "text to find"
            selected = self.editor.selected_text
            if selected and "\n" not in selected:
                field.value = re.escape(selected) if self.options.regex else selected
            self.search()
        (self.replace_input if mode == "replace" and field.value else field).focus()

    def action_close(self) -> None:
        self.display = False
        self.editor.found.clear(self.editor)
        self.editor.highlight_cursor_line = True
        self.editor.focus()

    # Finding ---------------------------------------------------------------------------------
    @on(Input.Changed, "#find-input")
    def _typed(self) -> None:
        self._replaced = None
        if self.mode != "goto":
            self.search(move=True)

    def search(self, *, move: bool = True) -> None:
        """Find the pattern in the whole text; ``move``: the cursor to the first match after it."""
        query = self.find_input.value
        editor = self.editor
        if not query:
            self.pattern, self.hits, self.current = None, [], -1
            editor.found.clear(editor)
            self._say("")
            return
        pattern = compile_pattern(query, self.options)
        if isinstance(pattern, str):
            self.pattern, self.hits, self.current = None, [], -1
            editor.found.clear(editor)
            self._say(pattern, bad=True)
            return
        self.pattern = pattern
        lines, options = editor.document.lines, self.options
        fast = None if options.regex or options.case else find_text(lines, query, options)
        self.hits = fast if fast is not None else find_hits(lines, pattern)
        if not self.hits:
            self.current = -1
        elif move or not 0 <= self.current < len(self.hits):
            row, column = editor.selection.start
            self.current = next(
                (i for i, hit in enumerate(self.hits) if hit >= (row, column, column)), 0
            )
        self._show(move)

    def _show(self, move: bool) -> None:
        editor, hits = self.editor, self.hits
        editor.found.show(editor, hits, self.current)
        done = self._replaced
        if not hits:
            if done is None:
                self._say("No matches", bad=True)
            else:  # (said where the count was: a notice would cover the bar's right end)
                self._say(f"Replaced {done:,} (Ctrl+Z undoes all)")
            return
        replaced = "" if done is None else f" · {done:,} replaced"
        self._say(f"{self.current + 1:,} of {len(hits):,}{replaced}")
        if move:
            row, start, end = hits[self.current]
            editor.selection = Selection((row, start), (row, end))
            editor.scroll_cursor_visible(center=True)

    def _say(self, text: str, *, bad: bool = False) -> None:
        count = self.query_one("#find-count", Label)
        count.update(text)
        count.set_class(bad, "-bad")

    def action_step(self, step: int) -> None:
        """The next (1) or previous (-1) match, round the end of the text."""
        if self.mode == "goto" or not self.hits:
            return
        self.current = (self.current + step) % len(self.hits)
        self._show(True)

    def action_switch(self, name: str) -> None:
        if self.mode == "goto":
            return
        self._replaced = None
        self.options = self.options._replace(**{name: not getattr(self.options, name)})
        self.query_one(f"#find-{name}", Label).set_class(getattr(self.options, name), "-on")
        self.search()

    def on_click(self, event: events.Click) -> None:
        widget = event.widget
        if widget is not None and widget.has_class("find-switch") and widget.id:
            self.action_switch(widget.id.removeprefix("find-"))

    def text_changed(self) -> None:
        """The editor's text changed (typed, generated, replaced): find again shortly."""
        if not self.display or self.mode == "goto" or self.pattern is None:
            return
        if self._rescan is None:  # (at most one search per RESCAN_AFTER, however fast it streams)
            self._rescan = self.set_timer(RESCAN_AFTER, self._search_again)

    def _search_again(self) -> None:
        self._rescan = None
        if self.display and self.mode != "goto":
            self.search(move=False)

    # Enter: next, replace one, or go -----------------------------------------------------------
    @on(Input.Submitted)
    def _entered(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def action_submit(self) -> None:
        if self.mode == "goto":
            self._go()
        elif self.mode == "replace" and self.replace_input.has_focus:
            self.replace_one()
        else:
            self.action_step(1)

    def _go(self) -> None:
        target = parse_line_target(self.find_input.value, self.editor.document.line_count)
        if isinstance(target, str):
            self._say(target, bad=True)
            return
        self.action_close()
        go_to(self.editor, target)

    # Replacing -------------------------------------------------------------------------------
    def _can_replace(self) -> bool:
        if getattr(self.editor, "generating", False):
            self.notify("Text is still coming: Esc stops it first.", severity="warning")
            return False
        return self.pattern is not None and bool(self.hits)

    def replace_one(self) -> None:
        """Replace the current match (the writer's text now) and move to the next."""
        from tui.widgets.replacing import replace_hits

        self.search(move=False)  # (the text may have changed since the last search)
        if not self._can_replace() or self.pattern is None:
            return
        at = self.current
        replace_hits(
            self.editor,
            self.pattern,
            [self.hits[at]],
            self.replace_input.value,
            expand=self.options.regex,
        )
        self.search(move=False)
        if self.hits:
            after = self.editor.selection.end
            self.current = next((i for i, h in enumerate(self.hits) if h[:2] >= after), 0)
            self._show(True)

    def action_replace_all(self) -> None:
        """Replace every match as one undo step, and say how many."""
        from tui.widgets.replacing import replace_hits

        if self.mode != "replace":
            return
        self.search(move=False)
        if not self._can_replace() or self.pattern is None:
            return
        count = replace_hits(
            self.editor,
            self.pattern,
            self.hits,
            self.replace_input.value,
            expand=self.options.regex,
        )
        self._replaced = count
        self.search(move=False)
