"""Export a document as Markdown or plain text, with the model's text marked or not, and the
counts a writer quotes (words or 字, characters, reading time)."""

from __future__ import annotations

from collections.abc import Sequence

from tui.text_stats import TextStats, text_stats

MARKS = {"none": ("", ""), "asterisks": ("*", "*"), "brackets": ("[[", "]]")}
"""How generated text is set off: not at all, ``*…*`` (Markdown italics) or ``[[…]]``."""


def marked(text: str, ranges: Sequence[tuple[int, int]], style: str) -> str:
    """``text`` with each generated range wrapped in ``style``'s marks, line by line (a mark
    never spans a line break, so Markdown keeps it)."""
    opening, closing = MARKS[style]
    if not opening:
        return text
    out: list[str] = []
    at = 0
    for start, end in sorted(ranges):
        if start < at:
            continue
        out.append(text[at:start])
        pieces = text[start:end].split("\n")
        out.append("\n".join(f"{opening}{p}{closing}" if p.strip() else p for p in pieces))
        at = end
    out.append(text[at:])
    return "".join(out)


def summary(stats: TextStats) -> str:
    minutes = max(1, round(stats.reading_minutes))
    return f"{stats.words:,} {stats.unit}, {stats.characters:,} characters, ~{minutes} min read"


def export(
    text: str, ranges: Sequence[tuple[int, int]], *, mark: str = "none"
) -> tuple[str, TextStats]:
    """The exported text and its counts (of the text itself, marks not counted)."""
    return marked(text, ranges, mark), text_stats(text)
