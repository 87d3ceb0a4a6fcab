"""The editor's underline of unknown words.

Each line is checked once while its text stays the same (a dictionary from line text to its
unknown words): a key re-checks the line it changed, and nothing else; drawing a line already
checked costs one dictionary look-up. The whole-draft pass (:meth:`SpellMarks.check_all`)
fills the same table from a worker thread, so scrolling through a long draft checks nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from rich.style import Style

if TYPE_CHECKING:
    from rich.text import Text

    from tui.spelling.checker import Span, Speller

SPELLING_STYLE = Style(underline=True)
"""Added on top of the line's other styles: generated text stays cyan and italic, and the
surprise view's colours stay (no colour of its own; the theme's text colour would win over it on
the writer's own text anyway)."""
REMEMBERED_LINES = 200_000
"""Lines whose check is kept; past that the table starts again (a 1 MB draft has ≈ 10,000)."""


class SpellMarks:
    """Which words of a line are unknown, remembered per line text; paints the underline."""

    def __init__(self) -> None:
        self.speller: Speller | None = None
        """None until the dictionaries are loaded (nothing is underlined before)."""
        self.enabled = True
        self._lines: dict[str, tuple[Span, ...]] = {}
        self.checks = 0
        """Lines checked so far in the editor's thread (tests count them)."""

    @property
    def active(self) -> bool:
        return self.enabled and self.speller is not None

    def spans(self, line: str) -> tuple[Span, ...]:
        """The unknown words of ``line``, checked now unless known already."""
        speller = self.speller
        if speller is None or not self.enabled or not line:
            return ()
        found = self._lines.get(line)
        if found is None:
            if len(self._lines) > REMEMBERED_LINES:
                self._lines.clear()
            found = self._lines[line] = speller.unknown_spans(line)
            self.checks += 1
        return found

    def style(self, line: Text, index: int) -> None:
        """Underline the unknown words of a line about to be drawn (an editor line painter)."""
        for start, end in self.spans(line.plain):
            line.stylize(SPELLING_STYLE, start, end)

    def check_all(self, lines: Iterable[str]) -> int:
        """Check every line not checked yet (safe in a worker thread: the table is updated in
        one step); returns how many unknown words the lines hold."""
        speller = self.speller
        if speller is None:
            return 0
        known = self._lines
        found: dict[str, tuple[Span, ...]] = {}
        unknown = 0
        for line in lines:
            spans = known.get(line)
            if spans is None:
                spans = found.get(line)
                if spans is None:
                    spans = found[line] = speller.unknown_spans(line)
            unknown += len(spans)
        if self._lines is known:  # (not when a word was added meanwhile: :meth:`forget`)
            known.update(found)
        return unknown

    def forget(self) -> None:
        """Check every line again (a word was added to the dictionary)."""
        self._lines = {}

    def next_unknown(self, lines: list[str], row: int, column: int) -> tuple[int, int, int] | None:
        """(row, start, end) of the unknown word at or after (row, column), wrapping round."""
        count = len(lines)
        for step in range(count + 1):
            at = (row + step) % count
            for start, end in self.spans(lines[at]):
                if (step == 0 and end < column) or (step == count and end >= column):
                    continue  # (before the cursor: at the end of the round)
                return at, start, end
        return None
