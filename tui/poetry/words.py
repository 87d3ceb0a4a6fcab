"""Where a word is in a line of text: the one the poem tools look up at the cursor."""

from __future__ import annotations

from tui.poetry.chinese import is_cjk


def word_at(line: str, column: int) -> tuple[int, int]:
    """The word at (or just before) ``column``: a run of letters, or one CJK character."""
    for at in (column - 1, column):  # the character before the cursor first (just typed)
        if 0 <= at < len(line) and is_cjk(line[at]):
            return at, at + 1
    start = column
    while start > 0 and (line[start - 1].isalpha() or line[start - 1] == "'"):
        start -= 1
    end = column
    while end < len(line) and (line[end].isalpha() or line[end] == "'"):
        end += 1
    return start, end
