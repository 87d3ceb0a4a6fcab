"""The editor's side of find: the matches it highlights, and moving to a line.

Kept apart from the find bar (:mod:`tui.widgets.find_bar`) so that the editor draws matches
without importing the bar, its inputs or its styles.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import TYPE_CHECKING

from rich.style import Style

from tui.textual_private import forget_rendered_lines

if TYPE_CHECKING:
    from rich.text import Text
    from textual.widgets import TextArea
    from textual.widgets.text_area import Location

    from tui.find import Hit

MATCH_STYLE = Style(color="black", bgcolor="yellow")
CURRENT_STYLE = Style(color="black", bgcolor="bright_green", bold=True)


class FoundSpans:
    """Every match of the find bar's pattern, and which one is current (-1: none)."""

    __slots__ = ("current", "hits")

    def __init__(self) -> None:
        self.hits: list[Hit] = []
        self.current = -1

    def style(self, line: Text, index: int) -> None:
        """Highlight the matches on line ``index`` (on top of every other style)."""
        hits = self.hits
        if not hits:
            return
        at = bisect_left(hits, (index,))
        current = self.current
        while at < len(hits) and hits[at][0] == index:
            _, start, end = hits[at]
            line.stylize(CURRENT_STYLE if at == current else MATCH_STYLE, start, end)
            at += 1

    def show(self, area: TextArea, hits: list[Hit], current: int) -> None:
        """Highlight ``hits`` in ``area`` (``current`` the one to stand out)."""
        self.hits, self.current = hits, current
        forget_rendered_lines(area)
        area.refresh()

    def clear(self, area: TextArea) -> None:
        if self.hits or self.current != -1:
            self.show(area, [], -1)


def go_to(area: TextArea, location: Location) -> None:
    """Put the cursor at ``location`` (clamped to the text), the line in the middle."""
    row = max(0, min(location[0], area.document.line_count - 1))
    column = max(0, min(location[1], len(area.document.get_line(row))))
    area.move_cursor((row, column), center=True)
