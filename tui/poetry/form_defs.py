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
    foot: str = ""
    feet: tuple[int, ...] = ()
    stanza: int = 0
    refrains: tuple[tuple[int, ...], ...] = ()
    rhyme_kinds: frozenset[str] = _USUAL
    chars: int = 0
    rules: str = ""
    metrical: bool = True
    steady: bool = False

    @property
    def iambic(self) -> bool:
        return self.foot == "iambic"

    def at(self, i: int) -> tuple[tuple[int, int] | None, int, str | None]:
        """For line `i` (from 0): its syllable range, its feet (0: any) and its scheme letter.

        A form of repeated stanzas (`stanza`) repeats its pattern with new letters.
        """
        period = self.stanza or self.lines or 1
        j = i % period if self.stanza or not self.lines else i
        rng = self.syllables[j % len(self.syllables)] if self.syllables else None
        feet = self.feet[j % len(self.feet)] if self.feet else 0
        letter = None
        if self.scheme and j < len(self.scheme):
            shift = (i // period) * len(set(self.scheme)) if self.stanza else 0
            letter = chr(ord(self.scheme[j]) + shift)
        return rng, feet, letter


_TONES = "平仄 in order (二四六分明, 粘对, no 孤平 or 三平尾)"


def _lushi_rule(n: int) -> str:
    return f"8 lines of {n} characters; lines 2, 4, 6, 8 rhyme; {_TONES}"


def _jueju_rule(n: int) -> str:
    return f"4 lines of {n} characters; lines 2 and 4 rhyme; {_TONES}"


def _gujue_rule(n: int) -> str:
    return f"4 lines of {n} characters; lines 2 and 4 rhyme (平仄 free, 仄 rhymes allowed)"


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
            metrical=False,
        ),
        Form(
            "limerick",
            "limerick",
            "en",
            5,
            "5 lines rhyming AABBA in anapests: lines 1, 2, 5 of three beats (7–10 syllables), "
            "lines 3, 4 of two (4–7)",
            syllables=((7, 10), (7, 10), (4, 7), (4, 7), (7, 10)),
            scheme="AABBA",
            foot="anapestic",
            feet=(3, 3, 2, 2, 3),
        ),
        Form(
            "quatrain",
            "quatrain",
            "en",
            4,
            "4 lines rhyming ABAB, in one meter",
            scheme="ABAB",
            steady=True,
        ),
        Form(
            "ballad",
            "ballad (common metre)",
            "en",
            0,
            "stanzas of 4 lines of iambic tetrameter and trimeter (4-3-4-3 beats, 8-6-8-6 "
            "syllables), lines 2 and 4 rhyming (ABCB)",
            syllables=((7, 9), (5, 7)),
            scheme="ABCB",
            foot="iambic",
            feet=(4, 3),
            stanza=4,
        ),
        Form(
            "sonnet",
            "sonnet",
            "en",
            14,
            "14 lines of iambic pentameter (10 syllables, 9–11 with a headless line or a "
            "feminine ending), rhyming ABAB CDCD EFEF GG (Shakespearean)",
            syllables=((9, 11),),
            target=10,
            scheme="ABABCDCDEFEFGG",
            foot="iambic",
            feet=(5,),
        ),
        Form(
            "blank",
            "blank verse",
            "en",
            0,
            "unrhymed iambic pentameter, any number of lines",
            syllables=((9, 11),),
            target=10,
            foot="iambic",
            feet=(5,),
        ),
        Form(
            "villanelle",
            "villanelle",
            "en",
            19,
            "19 lines: five tercets and a quatrain on two rhymes (ABA … ABAA); line 1 "
            "returns as lines 6, 12, 18 and line 3 as lines 9, 15, 19",
            scheme="ABAABAABAABAABAABAA",
            refrains=((0, 5, 11, 17), (2, 8, 14, 18)),
        ),
        Form("jueju5", "五言绝句", "zh", 4, _jueju_rule(5), chars=5, rules="pingshui"),
        Form("jueju7", "七言绝句", "zh", 4, _jueju_rule(7), chars=7, rules="pingshui"),
        Form("lushi5", "五言律诗", "zh", 8, _lushi_rule(5), chars=5, rules="pingshui"),
        Form("lushi7", "七言律诗", "zh", 8, _lushi_rule(7), chars=7, rules="pingshui"),
        Form("gujue5", "五言古绝", "zh", 4, _gujue_rule(5), chars=5, rules="pingshui"),
        Form("gujue7", "七言古绝", "zh", 4, _gujue_rule(7), chars=7, rules="pingshui"),
    )
}


@dataclass(frozen=True)
class LineReport:
    """One line of a checked poem.

    `number` counts the poem's lines from 1. `syllables` is characters for Chinese; `stress`
    is CMU stress digits per syllable for English ("0101010101", ? unknown) and 平仄 per
    character for Chinese ("平平仄仄平"). `rhyme` is the line's letter in the form's scheme
    (English) or the rhyme group of its last character (Chinese). `why` says what breaks
    the form ("" when `ok`); `notes` are remarks that do not (a slant rhyme, an estimate,
    the reading chosen). `scansion` ("x/x/x/x/x/"), `meter` ("iambic pentameter") and
    `deviations` come from `scan.scan_line`; `low`–`high` is the count's range.
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
    scansion: str = ""
    meter: str = ""
    deviations: tuple[str, ...] = ()
    low: int = 0
    high: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "line": self.number,
            "text": self.text,
            "syllables": self.syllables,
            "range": [self.low or self.syllables, self.high or self.syllables],
            "stress": self.stress,
            "scansion": self.scansion,
            "meter": self.meter,
            "deviations": list(self.deviations),
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
    system: str = ""
    notes: tuple[str, ...] = ()

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
            "system": self.system,
            "ok": self.ok,
            "problems": list(self.problems),
            "notes": list(self.notes),
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


def count_problem(f: Form, found: int, unit: str) -> str | None:
    """What is wrong with the number of lines, None when nothing is."""
    if f.stanza and not f.lines:
        if found and found % f.stanza == 0:
            return None
        return f"a {f.title} has stanzas of {f.stanza} {unit}; this has {found}"
    if not f.lines:
        return None if found else f"a {f.title} needs at least one line"
    return None if found == f.lines else f"a {f.title} has {f.lines} {unit}; this has {found}"
