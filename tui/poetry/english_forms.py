"""The English form checks: syllable counts, meter, rhyme schemes and refrains.

Every line is read by `scan.scan_line` under the form's meter and syllable range, so the
check, `poem syllables`, F7 and the margin agree. The checks are tolerant where poets are: a
word with several readings ("fire": 1 or 2 syllables, "heaven" 1 or 2) counts as whichever
fits; substitutions (a trochaic inversion, a spondee, a feminine ending) are named, not
faulted, unless the line strays too far from the meter; slant rhymes pass with a note,
assonance fails unless the check is loose.
"""

from __future__ import annotations

from tui.poetry import meter, rhyme, syllables
from tui.poetry.form_defs import (
    Form,
    LineReport,
    PoemReport,
    count_problem,
    detect_language,
    poem_lines,
)
from tui.poetry.rhyme import IDENTICAL, LOOSE_KINDS, NOTED
from tui.poetry.scan import NO_FIT, poem_meter, scan_line, scan_poem

#: How far a line may stray from its meter: this much per foot, plus `METER_SLACK`. With the
#: costs in `tui.poetry.meter`, a sonnet line may hold a trochaic inversion, two spondees
#: and a pyrrhic, or one word stressed against the meter ("per-FUMES"), but not two.
METER_PER_FOOT = 0.3
METER_SLACK = 0.6
METER_TOLERANCE = METER_PER_FOOT * 5 + METER_SLACK
#: A limerick line that reads this much better as iambs is not anapestic.
ANAPEST_MARGIN = 0.3
_IAMBIC = tuple(meter.Meter(meter.IAMB, k) for k in range(2, 6))
SYSTEM = "CMU Pronouncing Dictionary (American), scanned in context"


def _span(lo: int, hi: int) -> str:
    return str(lo) if lo == hi else f"{lo}–{hi}"


def _last_word(line: str) -> str:
    found = syllables.words(line)
    return found[-1] if found else ""


def _rhyme_verdicts(
    letters: list[str | None], ends: list[str], kinds_ok: frozenset[str]
) -> dict[int, tuple[int, str | None]]:
    """For each line in the scheme: (the line it should rhyme with, how it rhymes or None).

    In each group of lines sharing a letter, the line that rhymes with most of the others is
    the anchor; a line is compared with it. An anchor itself maps to (itself, IDENTICAL).
    """
    verdicts: dict[int, tuple[int, str | None]] = {}
    groups: dict[str, list[int]] = {}
    for i, letter in enumerate(letters):
        if letter is not None:
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
            return sum(1 for b in members if b != a and kind(a, b) in kinds_ok)

        anchor = max(members, key=lambda a: (score(a), bool(ends[a]), -a))
        for i in members:
            verdicts[i] = (anchor, IDENTICAL) if i == anchor else (anchor, kind(anchor, i))
    return verdicts


def _same_words(a: str, b: str) -> bool:
    return [w.lower() for w in syllables.words(a)] == [w.lower() for w in syllables.words(b)]


def _refrain_faults(f: Form, lines: list[str]) -> dict[int, str]:
    out = {}
    for group in f.refrains:
        first = group[0]
        for i in group[1:]:
            if i < len(lines) and first < len(lines) and not _same_words(lines[i], lines[first]):
                out[i] = f"line {i + 1} should repeat line {first + 1} (a refrain)"
    return out


def _meters(f: Form, feet: int) -> tuple[meter.Meter, ...] | None:
    if not f.foot:
        return None
    return (meter.Meter(f.foot, feet),) if feet else None


def scan_form(f: Form, lines: list[str]) -> list[syllables.LineInfo]:
    """Every line read as the form asks: in its meter and syllable range, or (a form with no
    meter) in the poem's own meter, within the range. Every view reads lines this way."""
    if not f.foot:
        out = []
        for i, info in enumerate(scan_poem(lines)):
            rng = f.at(i)[0]
            if rng is not None and not rng[0] <= info.syllables <= rng[1]:
                info = scan_line(lines[i], None, rng)
            out.append(info)
        return out
    out = []
    for i, line in enumerate(lines):
        rng, feet, _ = f.at(i)
        out.append(scan_line(line, _meters(f, feet), rng))
    return out


def check_english(text: str, f: Form, loose: bool = False) -> PoemReport:
    """Check `text` against an English form: syllables, meter, the rhyme scheme, refrains."""
    lines = poem_lines(text)
    problems: list[str] = []
    if detect_language(text) == "zh":
        problems.append(
            "this text is Chinese: a "
            f"{f.title} expects English (the Chinese forms are jueju5, jueju7, lushi5, lushi7)"
        )
        return PoemReport(f, "zh", (), tuple(problems), SYSTEM)
    if (problem := count_problem(f, len(lines), "lines")) is not None:
        problems.append(problem)
    if not lines:
        return PoemReport(f, "en", (), tuple(problems), SYSTEM)
    kinds_ok = LOOSE_KINDS if loose else f.rhyme_kinds
    ends = [_last_word(line) for line in lines]
    plan = [f.at(i) for i in range(len(lines))]
    verdicts = _rhyme_verdicts([letter for *_, letter in plan], ends, kinds_ok)
    refrains = _refrain_faults(f, lines)
    infos = scan_form(f, lines)
    steady = poem_meter(infos) if f.steady else None
    reports = []
    for i, line in enumerate(lines):
        rng, feet, letter = plan[i]
        meters = _meters(f, feet)
        info = infos[i]
        why: list[str] = []
        notes: list[str] = []
        if f.lines and i >= f.lines:
            why.append(f"one line too many: a {f.title} has {f.lines}")
        elif rng is not None and not rng[0] <= info.syllables <= rng[1]:
            where = f"a {f.title} line" if len(set(f.syllables)) == 1 else f"line {i + 1}"
            why.append(f"{info.syllables} syllables; {where} of a {f.title} has {_span(*rng)}")
        elif meters is not None:
            why += _meter_faults(line, info, meters[0])
        elif f.steady and steady is not None and info.meter != steady.name:
            why += _meter_faults(line, scan_line(line, (steady,)), steady)
        if i in refrains:
            why.append(refrains[i])
        if i in verdicts:
            why_rhyme, note = _rhyme_says(f, i, verdicts[i], ends, kinds_ok, plan)
            why += why_rhyme
            notes += note
        notes += info.notes
        reports.append(
            LineReport(
                number=i + 1,
                text=line,
                syllables=info.syllables,
                stress=info.stress,
                rhyme=letter,
                ok=not why,
                why="; ".join(why),
                estimated=info.estimated,
                notes=tuple(notes),
                scansion=info.scansion,
                meter=info.meter if f.metrical else "",
                deviations=info.deviations if f.metrical else (),
                low=info.low,
                high=info.high,
            )
        )
    said = ("rhymes: loose (assonance accepted)",) if loose else ()
    return PoemReport(f, "en", tuple(reports), tuple(problems), SYSTEM, said)


def _meter_faults(line: str, info: syllables.LineInfo, want: meter.Meter) -> list[str]:
    limit = METER_PER_FOOT * want.feet + METER_SLACK
    if info.cost >= NO_FIT:
        return [f"{info.syllables} syllables cannot be read as {want.name}"]
    if info.cost > limit:
        return [f"scans {info.scansion}, too far from {want.name} (x/ per foot)"]
    iambs = sum(1 for d in info.deviations if d.startswith("iamb for anapest"))
    if want.foot == meter.ANAPEST and iambs * 2 > want.feet:
        return [f"scans {info.scansion}: {iambs} of {want.feet} feet are iambs, not anapests"]
    if want.foot == meter.ANAPEST:
        iambic = scan_line(line, _IAMBIC)
        if iambic.cost + ANAPEST_MARGIN < info.cost:
            return [f"reads as {iambic.meter} ({iambic.scansion}), not anapests"]
    if any(d.startswith("headless") for d in info.deviations):
        free = scan_line(line)
        if free.meter and not free.meter.startswith(want.foot):
            return [f"reads as {free.meter} ({free.scansion}), not {want.foot}"]
    return []


def _rhyme_says(
    f: Form,
    i: int,
    verdict: tuple[int, str | None],
    ends: list[str],
    kinds_ok: frozenset[str],
    plan: list[tuple[tuple[int, int] | None, int, str | None]],
) -> tuple[list[str], list[str]]:
    anchor, kind = verdict
    if anchor == i:
        return [], []
    mine, theirs = ends[i], ends[anchor]
    scheme = "".join(letter or "" for *_, letter in plan[: len(f.scheme) or None])
    if not mine:
        return [f"no word to rhyme with line {anchor + 1} (the scheme is {scheme})"], []
    if kind not in kinds_ok:
        what = f" (only {kind})" if kind else ""
        return [
            f'"{mine}" does not rhyme with "{theirs}"{what} (line {anchor + 1}; '
            f"the scheme is {scheme})"
        ], []
    if kind in NOTED:
        return [], [f'{kind} rhyme with "{theirs}" (line {anchor + 1})']
    return [], []
