"""Poem tools: syllables, stress, rhymes and form checks, for English and Chinese.

Pure Python, no UI. The editor calls:

- `line_info(line)` → `LineInfo(syllables, scansion, meter, notes, …)` for the margin and
  the current line's stress pattern (Chinese lines: characters and 平仄); `scan_poem(lines)`
  reads every line in the poem's meter, `scan_line(line, meters, counts)` under a form's.
  All views (`poem check`, `poem syllables`, F7, the margin) read lines through these;
- `rhymes(word, limit)` → rhymes for the word at the cursor, best first (a Chinese character
  gives characters of its rhyme group);
- `check(text, form)` → `PoemReport` with a `LineReport` per line (`ok`, `why`);
- `detect_language(text)` → "en" or "zh", to pick the forms to offer (`forms_for`);
- `rhyme_sound(word)` → the sounds a rhyme must match ("AY T"), `rhyme_kind(a, b)`.

The English data (CMU Pronouncing Dictionary) loads on first use in about 0.2 s; call
`warm()` from a worker thread to have it ready. See docs/poems.md.
"""

from __future__ import annotations

from tui.poetry import chinese, chinese_rules, pronounce
from tui.poetry.english_forms import scan_form
from tui.poetry.forms import (
    FORMS,
    Form,
    LineReport,
    PoemReport,
    check,
    detect_language,
    poem_lines,
)
from tui.poetry.rhyme import Rhyme, find_rhymes, rhyme_kind, rhyme_sound
from tui.poetry.scan import scan_line, scan_poem
from tui.poetry.syllables import LineInfo, WordInfo, stress_marks, word_info
from tui.poetry.text import word_at

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
    "poem_infos",
    "rhyme_kind",
    "rhyme_sound",
    "rhymes",
    "scan_line",
    "scan_poem",
    "stress_marks",
    "warm",
    "word_at",
    "word_info",
]


def line_info(line: str, language: str | None = None, rules: str | None = None) -> LineInfo:
    """Syllables, scansion and meter of one line; `language` "en"/"zh", or None to tell;
    `rules` the Chinese system ("pingshui", the default, or "xinyun")."""
    return scan_line(line, language=language or detect_language(line), rules=rules)


def poem_infos(text: str, form: str | None = None, rules: str | None = None) -> list[LineInfo]:
    """Every line of `text` as the views show it: in the form's meter when `form` names
    one, else in the poem's own (its dominant foot). Chinese lines under `rules`."""
    lines = poem_lines(text)
    if detect_language(text) == "zh":
        return [scan_line(line, language="zh", rules=rules) for line in lines]
    f = FORMS.get(form or "")
    if f is None or f.language != "en":
        return scan_poem(lines)
    return scan_form(f, lines)


def rhymes(
    word: str, limit: int = 50, rare: bool = False, rules: str = chinese_rules.PINGSHUI
) -> list[str]:
    """Rhymes for `word`, best first (`limit` 0: all). A CJK character: characters of its
    rhyme group under `rules` (平水韵 by default, or "xinyun").

    `rare`: names and the dictionary's oddities too (English).
    """
    word = word.strip()
    if word and chinese.is_cjk(word[0]):
        return chinese_rules.rhymes(word[-1], rules, limit)
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
