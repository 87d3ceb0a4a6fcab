"""Counts a writer reads in the status bar and in exports: words (字 for Chinese), characters,
reading time."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import NamedTuple

_CJK = (
    "[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff"
    "\U00020000-\U0002a6df\U0002a700-\U0002ceaf\U0002f800-\U0002fa1f]"
)
"""CJK ideographs: the ranges :func:`models.prompting.cjk.is_cjk_char` names, as a regex (C speed:
the
status bar counts the whole document every half second while the writer types)."""
_SPACE = re.compile(r"\s")
_WORD = r"[^\s\u3000-\u303f\uff00-\uffef\u2e80-\u9fff\uf900-\ufaff]+"
_ASCII_WORD = re.compile(r"\S+")
"""``_WORD`` on ASCII text, where none of its Unicode ranges can occur."""
WORDS_PER_MINUTE = 230
"""Adult silent reading of prose (Brysbaert 2019: 238 wpm, English non-fiction)."""
CHARS_PER_MINUTE = 260
"""Chinese silent reading, characters per minute (Brysbaert 2019: 158–260; the upper end)."""


class TextStats(NamedTuple):  # (a NamedTuple is made at import 6x faster than a dataclass)
    words: int
    """Words outside CJK text, plus one per CJK character (a character is Chinese's word unit)."""
    cjk: int
    """CJK ideographs among them."""
    characters: int
    """Characters other than white space."""

    @property
    def unit(self) -> str:
        """字 when the text is mostly Chinese, else words."""
        return "字" if self.cjk * 2 > self.words else "words"

    @property
    def reading_minutes(self) -> float:
        return self.cjk / CHARS_PER_MINUTE + (self.words - self.cjk) / WORDS_PER_MINUTE


@functools.cache
def _unicode_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Compiled when first needed: their Unicode ranges take ~5 ms to compile, which an ASCII
    document no longer pays at start (docs/performance.md)."""
    return re.compile(_CJK), re.compile(_WORD)


def text_stats(text: str) -> TextStats:
    if text.isascii():
        cjk, other = 0, len(_ASCII_WORD.findall(text))
    else:
        cjk_chars, words = _unicode_patterns()
        cjk, other = len(cjk_chars.findall(text)), len(words.findall(text))
    characters = len(text) - len(_SPACE.findall(text))
    return TextStats(words=cjk + other, cjk=cjk, characters=characters)


class LineCounts:
    """The counts of a text given as its lines, each line counted once while it stays the same.

    The status bar counts the document half a second after the writer types: over a 1 MB
    draft the regular expressions took 50-120 ms each time, a pause in the typing, where a key
    changes one line. Lines add up exactly: no word or space spans a line break."""

    def __init__(self) -> None:
        self._known: dict[str, TextStats] = {}

    def count(self, lines: Iterable[str]) -> TextStats:
        known = self._known
        now: dict[str, TextStats] = {}
        words = cjk = characters = 0
        for line in lines:
            stats = now.get(line)
            if stats is None:
                stats = known.get(line)
                if stats is None:
                    stats = text_stats(line)
                now[line] = stats
            words += stats.words
            cjk += stats.cjk
            characters += stats.characters
        self._known = now  # (only the lines the text still has)
        return TextStats(words=words, cjk=cjk, characters=characters)
