"""Poem tools: syllables, stress, rhymes and form checks, for English and Chinese.

Pure Python, no UI. The editor calls:

- `line_info(line)` → `LineInfo(syllables, stress, estimated, …)` for the margin and the
  current line's stress pattern (Chinese lines: characters and 平仄);
- `rhymes(word, limit)` → rhymes for the word at the cursor, best first (a Chinese character
  gives characters of its rhyme group);
- `check(text, form)` → `PoemReport` with a `LineReport` per line (`ok`, `why`);
- `detect_language(text)` → "en" or "zh", to pick the forms to offer (`forms_for`);
- `rhyme_sound(word)` → the sounds a rhyme must match ("AY T"), `rhyme_kind(a, b)`.

The English data (CMU Pronouncing Dictionary) loads on first use in about 0.2 s; call
`warm()` from a worker thread to have it ready. See docs/poems.md.
"""

from __future__ import annotations

from tui.poetry import chinese, pronounce
from tui.poetry.forms import FORMS, Form, LineReport, PoemReport, check, detect_language
from tui.poetry.rhyme import Rhyme, find_rhymes, rhyme_kind, rhyme_sound
from tui.poetry.syllables import LineInfo, WordInfo, english_line_info, stress_marks, word_info

__all__ = [
    "FORMS",
    "Form",
    "LineInfo",
    "LineReport",
    "PoemReport",
    "Rhyme",
    "WordInfo",
    "check",
    "detect_language",
    "find_rhymes",
    "forms_for",
    "line_info",
    "rhyme_kind",
    "rhyme_sound",
    "rhymes",
    "stress_marks",
    "warm",
    "word_info",
]


def line_info(line: str, language: str | None = None) -> LineInfo:
    """Syllables and stress of one line; `language` "en"/"zh", or None to tell by the text."""
    if (language or detect_language(line)) == "zh":
        chars = chinese.syllables(line)
        words = tuple(
            WordInfo(s.char, 1, s.tone_class, s.tone == 0, (s.tone_class,)) for s in chars
        )
        return LineInfo(
            text=line,
            syllables=len(chars),
            stress="".join(s.tone_class for s in chars),
            estimated=any(w.estimated for w in words),
            words=words,
            language="zh",
        )
    return english_line_info(line)


def rhymes(word: str, limit: int = 50, rare: bool = False) -> list[str]:
    """Rhymes for `word`, best first (`limit` 0: all). A CJK character: same rhyme group.

    `rare`: names and the dictionary's oddities too (English).
    """
    word = word.strip()
    if word and chinese.is_cjk(word[0]):
        return chinese.rhymes(word[-1], limit)
    return [r.word for r in find_rhymes(word, limit, rare)]


def forms_for(language: str) -> list[Form]:
    """The forms for a language ("en" or "zh")."""
    return [f for f in FORMS.values() if f.language == language]


def warm(language: str = "en") -> None:
    """Load a language's data now (it otherwise loads on first use, 0.2 s or so).

    "en": the pronouncing dictionary and word list; "zh": pypinyin.
    """
    if language == "zh":
        chinese.syllables("一")
    else:
        pronounce.warm()
