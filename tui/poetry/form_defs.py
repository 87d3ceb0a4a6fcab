"""The forms and what a check reports: `Form` and `FORMS`, `LineReport` and `PoemReport`.

Also what every check needs: a poem's lines (`poem_lines`: non-blank, Markdown headings
skipped) and its language (`detect_language`). The checks themselves are in
`tui.poetry.english_forms` and `tui.poetry.chinese_forms`; `tui.poetry.forms.check` picks one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tui.poetry import chinese, syllables
from tui.poetry.rhyme import STRICT_KINDS

_USUAL = STRICT_KINDS


@dataclass(frozen=True)
class Form:
    """What a form asks for.

    `syllables` gives the (fewest, most) syllables of each line, or is empty when any count
    will do; for the Chinese forms `chars` is the characters per line. `scheme` has a letter
    per line, lines with the same letter rhyme (empty: no rhyme).
    """

    name: str
    title: str
    language: str
    lines: int
    description: str
    syllables: tuple[tuple[int, int], ...] = ()
    target: int = 0
    scheme: str = ""
    iambic: bool = False
    rhyme_kinds: frozenset[str] = _USUAL
    chars: int = 0


def _lushi_rule(n: int) -> str:
    return f"{n} characters a line; lines 2, 4, 6, 8 rhyme"


FORMS: dict[str, Form] = {
    form.name: form
    for form in (
        Form(
            "haiku",
            "haiku",
            "en",
            3,
            "3 lines of 5, 7 and 5 syllables",
            syllables=((5, 5), (7, 7), (5, 5)),
        ),
        Form(
            "limerick",
            "limerick",
            "en",
            5,
            "5 lines rhyming AABBA; lines 1, 2, 5 of 8–9 syllables, lines 3, 4 of 5–6",
            syllables=((8, 9), (8, 9), (5, 6), (5, 6), (8, 9)),
            scheme="AABBA",
        ),
        Form("quatrain", "quatrain", "en", 4, "4 lines rhyming ABAB", scheme="ABAB"),
        Form(
            "sonnet",
            "sonnet",
            "en",
            14,
            "14 lines of iambic pentameter (10 syllables ± 1, stress mostly alternating), "
            "rhyming ABAB CDCD EFEF GG (Shakespearean; slant rhymes allowed)",
            syllables=((9, 11),) * 14,
            target=10,
            scheme="ABABCDCDEFEFGG",
            iambic=True,
        ),
        Form(
            "jueju5", "五言绝句", "zh", 4, "4 lines of 5 characters; lines 2 and 4 rhyme", chars=5
        ),
        Form(
            "jueju7", "七言绝句", "zh", 4, "4 lines of 7 characters; lines 2 and 4 rhyme", chars=7
        ),
        Form("lushi5", "五言律诗", "zh", 8, _lushi_rule(5), chars=5),
        Form("lushi7", "七言律诗", "zh", 8, _lushi_rule(7), chars=7),
    )
}


@dataclass(frozen=True)
class LineReport:
    """One line of a checked poem.

    `number` counts the poem's lines from 1. `syllables` is characters for Chinese; `stress`
    is CMU stress digits per syllable for English ("0101010101", ? unknown) and 平仄 per
    character for Chinese ("平平仄仄平"). `rhyme` is the line's letter in the form's scheme
    (English) or the 中华新韵 group of its last character (Chinese). `why` says what breaks
    the form ("" when `ok`); `notes` are remarks that do not (a near rhyme, an estimate).
    """

    number: int
    text: str
    syllables: int
    stress: str
    rhyme: str | None
    ok: bool
    why: str
    estimated: bool = False
    notes: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "line": self.number,
            "text": self.text,
            "syllables": self.syllables,
            "stress": self.stress,
            "rhyme": self.rhyme,
            "ok": self.ok,
            "why": self.why,
            "estimated": self.estimated,
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class PoemReport:
    """A poem checked against a form: its lines, and problems of the whole (line count)."""

    form: Form
    language: str
    lines: tuple[LineReport, ...]
    problems: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems and all(line.ok for line in self.lines)

    @property
    def flagged(self) -> tuple[LineReport, ...]:
        return tuple(line for line in self.lines if not line.ok)

    def as_json(self) -> dict[str, Any]:
        return {
            "form": self.form.name,
            "language": self.language,
            "ok": self.ok,
            "problems": list(self.problems),
            "lines": [line.as_json() for line in self.lines],
        }


def detect_language(text: str) -> str:
    """The text's language: "zh" when CJK characters outnumber Latin words, else "en"."""
    cjk = chinese.cjk_count(text)
    latin = len([w for w in syllables.words(chinese._CJK.sub(" ", text)) if w.isascii()])
    return "zh" if cjk and cjk >= latin else "en"


def poem_lines(text: str) -> list[str]:
    """The poem's lines: non-blank, Markdown headings skipped, whitespace trimmed."""
    return [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def count_problem(f: Form, found: int, unit: str) -> str:
    return f"a {f.title} has {f.lines} {unit}; this has {found}"
