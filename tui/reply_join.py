"""Where and how a chat reply goes into the document (Ctrl+T): at a word or line boundary.

A reply put at the cursor as it is ran into the text around it (``…的小巷besie Hod…``). The
cursor inside a word moves to the word's end; a space (a line break for a reply of several
lines) goes between the reply and a neighbour that is not white space. Chinese and Japanese
next to each other take no space.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.widgets import TextArea


def insert_reply(area: TextArea, reply: str) -> None:
    """Put ``reply`` into ``area`` at the cursor, moved to the end of a word it is inside."""
    row, column = area.cursor_location
    line = area.document[row]
    column = word_end(line, column)
    last_row = len(area.document.lines) - 1
    before = line[column - 1] if column else ("\n" if row else "")
    after = line[column] if column < len(line) else ("\n" if row < last_row else "")
    area.insert(joined(before, reply, after), (row, column))


def _cjk(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def _wordy(char: str) -> bool:
    return char.isalnum() and not _cjk(char)


def word_end(line: str, column: int) -> int:
    """``column``, or the end of the word it is inside."""
    while 0 < column < len(line) and _wordy(line[column - 1]) and _wordy(line[column]):
        column += 1
    return column


def joined(before: str, reply: str, after: str) -> str:
    """``reply`` with what it needs between it and the characters ``before`` and ``after``."""
    reply = reply.strip()
    if not reply:
        return ""
    gap = "\n" if "\n" in reply else " "

    def needs(neighbour: str, edge: str) -> str:
        if not neighbour or neighbour.isspace():
            return ""
        return "" if gap == " " and _cjk(neighbour) and _cjk(edge) else gap

    return needs(before, reply[0]) + reply + needs(after, reply[-1])
