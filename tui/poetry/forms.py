"""Form checks: haiku, limerick, quatrain and sonnet; 五言/七言 绝句 and 律诗.

A poem's lines are its non-blank lines; Markdown headings ("# Title") are skipped. For the
Chinese forms a line is a verse (句): "床前明月光，疑是地上霜。" holds two.

The checks are tolerant where poets are: a word with several pronunciations ("fire": 1 or 2
syllables, "every": 2 or 3) counts as whichever fits; the sonnet takes 9–11 syllables, stress
that mostly alternates, and slant rhymes ("love" / "prove").
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from tui.poetry import chinese, rhyme, syllables
from tui.poetry.rhyme import IDENTICAL, NEAR, PERFECT, SLANT, SPELLING

_USUAL = frozenset({IDENTICAL, PERFECT, NEAR, SPELLING})
#: The most a sonnet line may stray from da-DUM (see `_meter_cost`): one word stressed the
#: other way ("per-FUMES" where Shakespeare says "PER-fumes") is fine, two are not.
METER_TOLERANCE = 1.5


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
            rhyme_kinds=_USUAL | {SLANT},
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


def check(text: str, form: str | Form) -> PoemReport:
    """Check `text` against a form (a name from `FORMS`, or a `Form`)."""
    if not isinstance(form, Form) and form not in FORMS:
        raise ValueError(f"unknown form {form!r}: one of {', '.join(FORMS)}")
    f = form if isinstance(form, Form) else FORMS[form]
    return _check_chinese(text, f) if f.language == "zh" else _check_english(text, f)


def _count_problem(f: Form, found: int, unit: str) -> str:
    return f"a {f.title} has {f.lines} {unit}; this has {found}"


# --- English ---------------------------------------------------------------------------


def _span(lo: int, hi: int) -> str:
    return str(lo) if lo == hi else f"{lo}–{hi}"


def _meter_cost(option: str, pos: int) -> float:
    """How far a word's stress at `pos` strays from da-DUM (odd positions stressed).

    Monosyllables go either way. A stressed syllable in a weak place costs 1, an unstressed
    one in a strong place 0.5 (common: "TEM-per-ate"). A two-syllable word opening the line
    stressed first is the usual inversion and costs nothing.
    """
    if len(option) < 2 or (pos == 0 and option.startswith("10")):
        return 0.0
    cost = 0.0
    for i, digit in enumerate(option):
        strong = (pos + i) % 2 == 1
        if digit == "1" and not strong:
            cost += 1.0
        elif digit == "0" and strong:
            cost += 0.5
    return cost


def _iambic_fit(info: syllables.LineInfo, lo: int, hi: int, target: int) -> tuple[int, str, float]:
    """The count in [lo, hi] and pronunciations that scan best: (count, stress, cost).

    (−1, "", inf) when no pronunciation gives a count in range.
    """
    states: dict[int, tuple[float, str]] = {0: (0.0, "")}
    for word in info.words:
        nxt: dict[int, tuple[float, str]] = {}
        for pos, (cost, stress) in states.items():
            for option in word.options:
                c = cost + _meter_cost(option, pos)
                end = pos + len(option)
                if end not in nxt or c < nxt[end][0]:
                    nxt[end] = (c, stress + option)
        states = nxt
    # Scan well first, then be near the target: half a point per syllable off it.
    fits = [
        (cost + 0.5 * abs(n - target), abs(n - target), cost, n, stress)
        for n, (cost, stress) in states.items()
        if lo <= n <= hi
    ]
    if not fits:
        return -1, "", float("inf")
    *_, cost, n, stress = min(fits)
    return n, stress, cost


def _fit_count(info: syllables.LineInfo, lo: int, hi: int) -> tuple[int, str, bool]:
    """A count in [lo, hi] the pronunciations allow (the nearest one when none does)."""
    options = syllables.count_options(info.words)
    inside = [n for n in options if lo <= n <= hi]
    if inside:
        n = min(inside, key=lambda k: (k != info.syllables, k))
        return n, options[n], True
    n = min(options, key=lambda k: (min(abs(k - lo), abs(k - hi)), k))
    return n, options[n], False


def _last_word(line: str) -> str:
    found = syllables.words(line)
    return found[-1] if found else ""


def _rhyme_verdicts(f: Form, ends: list[str]) -> dict[int, tuple[int, str | None]]:
    """For each line in the scheme: (the line it should rhyme with, how it rhymes or None).

    In each group of lines sharing a letter, the line that rhymes with most of the others is
    the anchor; a line is compared with it. An anchor itself maps to (itself, IDENTICAL).
    """
    verdicts: dict[int, tuple[int, str | None]] = {}
    groups: dict[str, list[int]] = {}
    for i, letter in enumerate(f.scheme[: len(ends)]):
        groups.setdefault(letter, []).append(i)
    for members in groups.values():
        kinds = {
            (a, b): rhyme.rhyme_kind(ends[a], ends[b]) if ends[a] and ends[b] else None
            for a in members
            for b in members
            if a < b
        }

        def kind(a: int, b: int, kinds: dict[tuple[int, int], str | None] = kinds) -> str | None:
            return kinds[(min(a, b), max(a, b))]

        def score(a: int, members: list[int] = members) -> int:
            return sum(1 for b in members if b != a and kind(a, b) in f.rhyme_kinds)

        anchor = max(members, key=lambda a: (score(a), bool(ends[a]), -a))
        for i in members:
            verdicts[i] = (anchor, IDENTICAL) if i == anchor else (anchor, kind(anchor, i))
    return verdicts


def _check_english(text: str, f: Form) -> PoemReport:
    lines = poem_lines(text)
    problems: list[str] = []
    if detect_language(text) == "zh":
        problems.append(
            "this text is Chinese: the Chinese forms are jueju5, jueju7, lushi5, lushi7"
        )
    if len(lines) != f.lines:
        problems.append(_count_problem(f, len(lines), "lines"))
    if not lines:
        return PoemReport(f, "en", (), tuple(problems))
    ends = [_last_word(line) for line in lines]
    verdicts = _rhyme_verdicts(f, ends) if f.scheme else {}
    reports = []
    for i, line in enumerate(lines):
        info = syllables.english_line_info(line)
        why: list[str] = []
        notes: list[str] = []
        count, stress = info.syllables, info.stress
        letter = f.scheme[i] if i < len(f.scheme) else None
        if i >= f.lines:
            why.append(f"one line too many: a {f.title} has {f.lines}")
        elif f.syllables:
            lo, hi = f.syllables[i]
            if f.iambic:
                count, stress, cost = _iambic_fit(info, lo, hi, f.target)
                if count < 0:
                    count, stress, _ = _fit_count(info, lo, hi)
                    why.append(f"{count} syllables; a {f.title} line has {_span(lo, hi)}")
                elif cost > METER_TOLERANCE:
                    marks = syllables.stress_marks(stress)
                    why.append(f"stress {marks} is not iambic (x/x/x/x/x/)")
            else:
                count, stress, fits = _fit_count(info, lo, hi)
                if not fits:
                    why.append(
                        f"{count} syllables; line {i + 1} of a {f.title} has {_span(lo, hi)}"
                    )
        if i in verdicts:
            anchor, kind = verdicts[i]
            if anchor != i:
                mine, theirs = ends[i], ends[anchor]
                if not mine:
                    why.append(
                        f"no word to rhyme with line {anchor + 1} (the scheme is {f.scheme})"
                    )
                elif kind not in f.rhyme_kinds:
                    why.append(
                        f'"{mine}" does not rhyme with "{theirs}" (line {anchor + 1}; '
                        f"the scheme is {f.scheme})"
                    )
                elif kind in (NEAR, SLANT, SPELLING):
                    notes.append(f'{kind} rhyme with "{theirs}" (line {anchor + 1})')
        if info.estimated:
            notes.append("estimated: " + ", ".join(info.unknown) + " (not in the dictionary)")
        reports.append(
            LineReport(
                number=i + 1,
                text=line,
                syllables=count,
                stress=stress,
                rhyme=letter,
                ok=not why,
                why="; ".join(why),
                estimated=info.estimated,
                notes=tuple(notes),
            )
        )
    return PoemReport(f, "en", tuple(reports), tuple(problems))


# --- Chinese ---------------------------------------------------------------------------


def _check_chinese(text: str, f: Form) -> PoemReport:
    lines = chinese.verses(text)
    problems: list[str] = []
    if detect_language(text) != "zh":
        problems.append("this text is not Chinese: the English forms are haiku, limerick, …")
    if len(lines) != f.lines:
        problems.append(_count_problem(f, len(lines), "lines (句)"))
    sylls = [list(chinese.syllables(line)) for line in lines]
    rhyming = list(range(1, min(len(lines), f.lines), 2))  # lines 2, 4, 6, 8
    anchor = _rhyme_group(sylls, rhyming)
    reports = []
    for i, line in enumerate(lines):
        why: list[str] = []
        notes: list[str] = []
        if i >= f.lines:
            why.append(f"one line too many: a {f.title} has {f.lines}")
        if len(line) != f.chars:
            why.append(f"{len(line)} characters; a {f.title} line has {f.chars}")
        last = sylls[i][-1] if sylls[i] else None
        if last is not None and i < f.lines and (i in rhyming or i == 0):
            fitting = _reading_in(last, anchor)
            if i == 0:
                if fitting is not None:
                    notes.append("首句入韵 (the first line rhymes too)")
            elif not last.group:
                notes.append(f"cannot tell the rhyme of {last.char}")
            elif fitting is None:
                why.append(
                    f"{last.char} ({last.pinyin}, {last.group}) does not rhyme: "
                    f"the poem rhymes in {anchor}"
                )
            if fitting is not None and fitting != last:
                notes.append(f"{last.char} read as {fitting.pinyin} to rhyme")
                sylls[i][-1] = last = fitting
            if i in rhyming and last.group and last.group != anchor and fitting is not None:
                notes.append(f"{last.char} ({last.group}) rhymes with {anchor} (通押)")
            if i in rhyming and last.tone_class == chinese.ZE:
                notes.append(f"rhymes on a 仄 tone ({last.char} {last.pinyin}); 近体诗 rhyme on 平")
        pattern = "".join(s.tone_class for s in sylls[i])
        notes += _alternation_notes(pattern)
        estimated = chinese.UNKNOWN in pattern
        if estimated:
            notes.append("? marks a character whose tone pypinyin does not know")
        reports.append(
            LineReport(
                number=i + 1,
                text=line,
                syllables=len(line),
                stress=pattern,
                rhyme=(last.group or None) if last else None,
                ok=not why,
                why="; ".join(why),
                estimated=estimated,
                notes=tuple(notes),
            )
        )
    return PoemReport(f, "zh", tuple(reports), tuple(problems))


def _reading_in(s: chinese.Syllable, group: str) -> chinese.Syllable | None:
    """The reading of `s`'s character that rhymes in `group`: its own first, else another."""
    if chinese.same_group(s.group, group):
        return s
    others = (r for r in chinese.readings(s.char) if chinese.same_group(r.group, group))
    return next(others, None)


def _rhyme_group(sylls: list[list[chinese.Syllable]], rhyming: list[int]) -> str:
    """The group the poem rhymes in: the one most rhyme positions can be read in.

    Each position counts once per group any reading of its character is in (多音字 such as
    还 hai2/huan2); ties go to a group the first line also rhymes in, then to the
    context reading of line 2.
    """
    votes: Counter[str] = Counter()
    for i in rhyming:
        if sylls[i]:
            last = sylls[i][-1]
            groups = {last.group} | {r.group for r in chinese.readings(last.char)}
            votes.update(g for g in groups if g)
    if not votes:
        return ""
    first = sylls[0][-1] if sylls and sylls[0] else None
    first_groups = (
        {first.group} | {r.group for r in chinese.readings(first.char)} if first else set()
    )
    second = sylls[1][-1].group if len(sylls) > 1 and sylls[1] else ""
    return max(votes, key=lambda g: (votes[g], g in first_groups, g == second))


def _alternation_notes(pattern: str) -> list[str]:
    """二四六分明: the 2nd, 4th (and 6th) characters should alternate 平 and 仄.

    A note, not a fault: 入声 characters read 平 today, and 古绝 need not follow it.
    """
    out = []
    for a, b in ((1, 3), (3, 5)):
        if b < len(pattern) and pattern[a] == pattern[b] and pattern[a] != chinese.UNKNOWN:
            out.append(f"characters {a + 1} and {b + 1} are both {pattern[a]} (二四六分明)")
    return out
