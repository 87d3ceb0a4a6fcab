"""Export a document as Markdown or plain text, with the model's text marked or not, and the
counts a writer quotes (words or 字, characters, reading time)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from tui.text_stats import TextStats, text_stats

MARKS = {"none": ("", ""), "asterisks": ("*", "*"), "brackets": ("[[", "]]")}
"""How generated text is set off: not at all, ``*…*`` (Markdown italics) or ``[[…]]``."""


def marked(text: str, ranges: Sequence[tuple[int, int]], style: str) -> str:
    """``text`` with each generated range wrapped in ``style``'s marks, line by line (a mark
    never spans a line break, so Markdown keeps it); asterisks hug the words, as Markdown reads
    ``* word*`` and ``*word *`` as plain asterisks (:func:`_wrap`)."""
    opening, closing = MARKS[style]
    if not opening:
        return text
    hug = style == "asterisks"
    out: list[str] = []
    at = 0
    for start, end in sorted(ranges):
        if start < at:
            continue
        out.append(text[at:start])
        before, after = text[start - 1 : start], text[end : end + 1]
        pieces = text[start:end].split("\n")
        for n, piece in enumerate(pieces):
            first, last = n == 0, n == len(pieces) - 1
            if not hug:
                out.append(f"{opening}{piece}{closing}" if piece.strip() else piece)
            else:
                out.append(
                    _wrap(piece, opening, closing, before if first else "", after if last else "")
                )
            if not last:
                out.append("\n")
        at = end
    out.append(text[at:])
    return "".join(out)


def _wrap(piece: str, opening: str, closing: str, before: str, after: str) -> str:
    """``piece`` marked, spaces outside the marks; so is punctuation that touches a letter
    outside them (Markdown's flanking rules: ``word*.x*`` is no emphasis, ``word.*x*`` is)."""
    core = piece.strip()
    if not core:
        return piece
    lead = piece[: len(piece) - len(piece.lstrip())]
    trail = piece[len(piece.rstrip()) :]
    head = tail = ""
    if not lead and before and not _loose(before):  # (a letter or punctuation before it)
        while core and _punctuation(core[0]):
            head, core = head + core[0], core[1:]
    if not trail and after and not _loose(after):
        while core and _punctuation(core[-1]):
            tail, core = core[-1] + tail, core[:-1]
    if not core:
        return piece
    return f"{lead}{head}{opening}{core}{closing}{tail}{trail}"


def _loose(char: str) -> bool:
    """Whether ``char`` beside a mark leaves it free to open or close (space or punctuation)."""
    return char.isspace() or _punctuation(char)


def _punctuation(char: str) -> bool:
    return unicodedata.category(char)[0] in "PS"


def summary(stats: TextStats) -> str:
    minutes = max(1, round(stats.reading_minutes))
    return f"{stats.words:,} {stats.unit}, {stats.characters:,} characters, ~{minutes} min read"


def export(
    text: str, ranges: Sequence[tuple[int, int]], *, mark: str = "none"
) -> tuple[str, TextStats]:
    """The exported text and its counts (of the text itself, marks not counted)."""
    return marked(text, ranges, mark), text_stats(text)
