"""Counts a writer reads in the status bar and in exports: words (字 for Chinese), characters,
reading time."""

from __future__ import annotations

import re
from dataclasses import dataclass

from models.cjk import is_cjk_char

_WORD = re.compile(r"[^\s\u3000-\u303f\uff00-\uffef\u2e80-\u9fff\uf900-\ufaff]+")
WORDS_PER_MINUTE = 230
"""Adult silent reading of prose (Brysbaert 2019: 238 wpm, English non-fiction)."""
CHARS_PER_MINUTE = 260
"""Chinese silent reading, characters per minute (Brysbaert 2019: 158–260; the upper end)."""


@dataclass(frozen=True)
class TextStats:
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


def text_stats(text: str) -> TextStats:
    cjk = sum(1 for ch in text if is_cjk_char(ch))
    other = len(_WORD.findall(text))
    characters = sum(1 for ch in text if not ch.isspace())
    return TextStats(words=cjk + other, cjk=cjk, characters=characters)
