"""The poem margin (F12): syllables per line (字 for Chinese) left of the text, and under the
editor the current line's stress pattern (平仄) with rhymes for the word at the cursor.

Counts come from :mod:`tui.poetry` (the CMU Pronouncing Dictionary, a rule-based guess for
unknown words, marked ``~``). Rhymes take a fifth of a second, so they are looked up in a
worker thread a moment after the cursor settles.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from rich.segment import Segment
from textual import work
from textual.message import Message
from textual.strip import Strip
from textual.timer import Timer
from textual.widgets import TextArea

from tui.textual_private import line_at_row, rewrap

if TYPE_CHECKING:
    from tui.poetry import LineInfo
    from tui.widgets.generated_text import GeneratedTextArea

    _Area = GeneratedTextArea
else:
    _Area = object  # a mixin at run time (see PoemMarginArea)

MARGIN = 5
"""Cells of the margin: a count of up to three digits, its ``~`` and a space."""
HINT_AFTER = 0.2
"""Seconds the cursor rests before the line's stress and the rhymes are looked up."""
RHYMES = 5
POEM_LINES = 200
"""A text of at most this many lines is read as a poem (each line in its meter)."""


@lru_cache(maxsize=4096)
def count_label(line: str) -> str:
    """The margin's text for ``line``: its syllables, ``~`` when some were guessed."""
    from tui import poetry

    if not line.strip():
        return ""
    info = poetry.line_info(line)
    return f"{info.syllables}{'~' if info.estimated else ''}"


def poem_counts(text: str) -> dict[str, str]:
    """Margin labels for a short poem, each line read in the poem's meter (as F7 and
    `poem syllables` read it): line → label. Empty for long texts (prose, a draft)."""
    from tui import poetry
    from tui.poetry.text import guess_form

    lines = poetry.forms.poem_lines(text)
    if not lines or len(lines) > POEM_LINES:
        return {}
    infos = poetry.poem_infos(text, guess_form(text))
    return {
        info.text: f"{info.syllables}{'~' if info.estimated else ''}"
        for info in infos
        if info.language == "en"
    }


def line_hint(line: str, word: str, context: list[LineInfo] | None = None) -> str:
    """The current line's stress (or 平仄) and rhymes for ``word``, for the editor's border."""
    from tui import poetry
    from tui.poetry.text import line_notes

    parts = []
    if line.strip():
        info = poetry.line_info(line)
        if context is not None and info.language == "en":
            info = next((i for i in context if i.text == line.strip()), info)
        marks = info.scansion or poetry.stress_marks(info.stress)
        system = {"pingshui": ", 平水韵", "xinyun": ", 中华新韵"}.get(info.system, "")
        parts.append(f"{marks} ({info.count_label}{system})")
        parts += line_notes(info)
    if word:
        found = poetry.rhymes(word, RHYMES)
        parts.append(f"{word}: {', '.join(found)}" if found else f"{word}: no rhymes known")
    return " · ".join(parts)


class PoemMarginArea(_Area):
    """The poem margin for a :class:`GeneratedTextArea`; ``branch_where`` shares the border.

    A mixin (the editor is ``WriterEditor(TokenInsightArea, GeneratedTextArea)``), not a
    TextArea subclass: Textual does ≈ 3 M instructions of work for each widget class as it is
    defined, and the editor's are defined before the first frame (docs/performance.md).
    """

    margin_on = False
    """Whether the margin shows (read by Textual while the widget is still being built)."""

    class Hint(Message):
        """The current line's stress and rhymes, and the poem's counts, found in a worker."""

        def __init__(self, text: str, counts: dict[str, str]) -> None:
            super().__init__()
            self.text = text
            self.counts = counts

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.poem_hint = ""
        self.branch_where = ""
        self._hint_timer: Timer | None = None
        self._poem_counts: dict[str, str] = {}

    @property
    def gutter_width(self) -> int:
        return MARGIN if self.margin_on else super().gutter_width

    def refresh_subtitle(self) -> None:
        """The border under the text: where the reader is in the branch tree, the poem hint."""
        self.border_subtitle = " · ".join(p for p in (self.branch_where, self.poem_hint) if p)

    def action_poem_margin(self) -> None:
        """F12 (or Alt+S): show or hide syllables per line, the line's stress and rhymes."""
        self.margin_on = not self.margin_on
        rewrap(self)  # the text is narrower (or wider) by the margin
        if self.margin_on:
            self.notify(
                "Syllables per line in the margin (~: some guessed); below, the line's "
                "scansion (x slack, / beat), its meter and notes, and rhymes for the word "
                "at the cursor.",
                title="Poem margin",
            )
            self._find_hint()
        else:
            self.poem_hint = ""
            self.refresh_subtitle()

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        if not self.margin_on:
            return strip
        where = line_at_row(self, y)
        label = ""
        if where is not None and where[1] == 0:
            text = self.document.get_line(where[0])
            label = self._poem_counts.get(text.strip()) or count_label(text)
        style = self.get_component_rich_style("text-area--gutter")
        margin = Strip([Segment(f"{label:>{MARGIN - 1}} ", style)], MARGIN)
        return Strip.join([margin, strip])

    def on_text_area_selection_changed(self, event: TextArea.SelectionChanged) -> None:
        if self.margin_on:
            if self._hint_timer is not None:
                self._hint_timer.stop()
            self._hint_timer = self.set_timer(HINT_AFTER, self._find_hint)

    def _find_hint(self) -> None:
        from tui.poetry.text import word_at

        row, column = self.cursor_location
        line = self.document.get_line(row)
        start, end = word_at(line, column)
        poem = self.text if self.document.line_count <= 2 * POEM_LINES else ""
        self._look_up(line, line[start:end], poem)

    @work(thread=True, exclusive=True, group="poem-hint")
    def _look_up(self, line: str, word: str, poem: str) -> None:
        from tui import poetry
        from tui.poetry.text import guess_form

        counts = poem_counts(poem) if poem else {}
        context = poetry.poem_infos(poem, guess_form(poem)) if counts else None
        self.post_message(self.Hint(line_hint(line, word, context), counts))

    def on_poem_margin_area_hint(self, message: PoemMarginArea.Hint) -> None:
        if self.margin_on:
            self.poem_hint = message.text
            if message.counts != self._poem_counts:
                self._poem_counts = message.counts
                self.refresh()
            self.refresh_subtitle()
