"""The English form checks: syllable counts, iambic stress, rhyme schemes.

The checks are tolerant where poets are: a word with several pronunciations ("fire": 1 or 2
syllables, "every": 2 or 3) counts as whichever fits; the sonnet takes 9–11 syllables, stress
that mostly alternates, and slant rhymes ("love" / "prove").
"""

from __future__ import annotations

from tui.poetry import rhyme, syllables
from tui.poetry.form_defs import (
    Form,
    LineReport,
    PoemReport,
    count_problem,
    detect_language,
    poem_lines,
)
from tui.poetry.rhyme import IDENTICAL, NOTED

#: The most a sonnet line may stray from da-DUM (see `_meter_cost`): one word stressed the
#: other way ("per-FUMES" where Shakespeare says "PER-fumes") is fine, two are not.
METER_TOLERANCE = 1.5


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


def check_english(text: str, f: Form) -> PoemReport:
    """Check `text` against an English form: syllables (and stress), then the rhyme scheme."""
    lines = poem_lines(text)
    problems: list[str] = []
    if detect_language(text) == "zh":
        problems.append(
            "this text is Chinese: the Chinese forms are jueju5, jueju7, lushi5, lushi7"
        )
    if len(lines) != f.lines:
        problems.append(count_problem(f, len(lines), "lines"))
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
                elif kind in NOTED:
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
