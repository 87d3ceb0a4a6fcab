"""One reading of a line for every view: `scan_line` counts, scans and names the meter.

`poem check`, `poem syllables`, F7 and the margin all call `scan_line`, so they agree on the
count, the scansion and the notes. A word may be read several ways (its pronunciations, a
poet's elision: "heaven" 1 or 2 syllables); each reading of the line is fitted to the
meters allowed (all of them, or a form's), and the cheapest fit wins. The usual reading is
preferred: every other reading costs a little.
"""

from __future__ import annotations

import itertools
from collections import Counter
from functools import lru_cache

from tui.poetry import chinese, chinese_rules, meter
from tui.poetry.syllables import LineInfo, WordInfo, word_info, words

#: What choosing a word's other reading (an elision, another pronunciation) costs.
OTHER_READING = 0.15
#: The cost of a line no meter allowed can say (too few or too many syllables).
NO_FIT = 99.0
#: At most this many readings of a line are tried.
MAX_READINGS = 96
#: A line "has" a meter when its fit costs at most this much per foot, plus `COST_SLACK`.
COST_PER_FOOT = 0.3
COST_SLACK = 0.3


def weights(word: WordInfo, option: str) -> str:
    """The meter's weight letters for one reading of a word (see `tui.poetry.meter`)."""
    if len(option) == 1:
        if option == "?":
            return "Q"
        return "F" if word.function else "C"
    strong = "p" if word.function else "P"
    return "".join({"1": strong, "2": "T", "0": "U"}.get(d, "Q") for d in option)


def _readings(infos: tuple[WordInfo, ...]) -> list[tuple[float, tuple[str, ...]]]:
    """(penalty, one option per word) for the line's readings, the usual one first."""
    choices = [info.options for info in infos]
    out = []
    for combo in itertools.islice(itertools.product(*choices), MAX_READINGS):
        penalty = sum(
            OTHER_READING for info, o in zip(infos, combo, strict=True) if o != info.options[0]
        )
        out.append((penalty, combo))
    return out


@lru_cache(maxsize=8192)
def scan_line(
    line: str,
    meters: tuple[meter.Meter, ...] | None = None,
    counts: tuple[int, int] | None = None,
    language: str | None = None,
    rules: str | None = None,
) -> LineInfo:
    """The line read the way that best fits `meters` (None: any) within `counts` syllables.

    Without a fitting reading the nearest count is taken. `language` "en"/"zh", or None to
    tell by the text; `rules` the Chinese system ("pingshui", the default, or "xinyun").
    """
    if (language or ("zh" if chinese.cjk_count(line) > len(words(line)) else "en")) == "zh":
        return _chinese(line, rules or chinese_rules.PINGSHUI)
    infos = tuple(word_info(w) for w in words(line))
    readings = _readings(infos)
    low = sum(min(len(o) for o in info.options) for info in infos)
    high = sum(max(len(o) for o in info.options) for info in infos)
    if counts is not None:
        inside = [r for r in readings if counts[0] <= sum(len(o) for o in r[1]) <= counts[1]]
        if inside:
            readings = inside
        else:
            lo, hi = counts

            def off(r: tuple[float, tuple[str, ...]]) -> int:
                n = sum(len(o) for o in r[1])
                return max(lo - n, n - hi, 0)

            nearest = min(off(r) for r in readings)
            readings = [r for r in readings if off(r) == nearest]
    best: tuple[float, tuple[str, ...], meter.Fit | None] | None = None
    for penalty, combo in readings:
        w = "".join(weights(info, o) for info, o in zip(infos, combo, strict=True))
        allowed = meters if meters is not None else _plausible(len(w))
        found = meter.best_fit(w, allowed) if w and allowed else None
        total = penalty + (found.cost if found else NO_FIT)
        if best is None or total < best[0]:
            best = (total, combo, found)
    combo, fitted = (best[1], best[2]) if best else ((), None)
    return _english(line, infos, combo, fitted, low, high, free=meters is None)


def _plausible(n: int) -> tuple[meter.Meter, ...]:
    """The meters a line of `n` syllables could be in."""
    return tuple(m for m in meter.templates() if m.feet <= n <= 3 * m.feet + 2)


def _english(
    line: str,
    infos: tuple[WordInfo, ...],
    combo: tuple[str, ...],
    fitted: meter.Fit | None,
    low: int,
    high: int,
    free: bool,
) -> LineInfo:
    notes = [label for info, o in zip(infos, combo, strict=True) if (label := info.label(o))]
    unknown = [info.text for info in infos if info.estimated]
    if unknown:
        notes.append("estimated: " + ", ".join(unknown) + " (not in the dictionary)")
    stress = "".join(combo)
    name, scansion, cost = "", "", NO_FIT
    deviations: tuple[str, ...] = ()
    if fitted is not None:
        scansion, cost = fitted.marks, fitted.cost
        if not free or fitted.cost <= COST_PER_FOOT * fitted.meter.feet + COST_SLACK:
            name, deviations = fitted.meter.name, fitted.deviations
    return LineInfo(
        text=line,
        syllables=len(stress),
        stress=stress,
        estimated=bool(unknown),
        words=infos,
        language="en",
        low=low,
        high=high,
        scansion=scansion,
        meter=name,
        deviations=deviations,
        notes=tuple(notes),
        cost=cost,
        system="cmudict",
    )


def _chinese(line: str, rules: str = chinese_rules.PINGSHUI) -> LineInfo:
    chars = chinese_rules.tones(line, rules)
    infos = tuple(WordInfo(t.char, 1, t.cls, t.cls == chinese.UNKNOWN, (t.cls,)) for t in chars)
    pattern = "".join(t.cls for t in chars)
    notes: tuple[str, ...] = ()
    if chinese.UNKNOWN in pattern:
        notes = ("? marks a character whose tone pypinyin does not know",)
    return LineInfo(
        text=line,
        syllables=len(chars),
        stress=pattern,
        estimated=any(w.estimated for w in infos),
        words=infos,
        language="zh",
        low=len(chars),
        high=len(chars),
        scansion=pattern,
        notes=notes,
        system=rules,
    )


#: In a poem, a line takes the poem's meter when that costs at most this much more.
CONTEXT_MARGIN = 1.0


def dominant_foot(infos: list[LineInfo]) -> str | None:
    """The foot most of the lines' meters use ("iambic"), None when no line has a meter."""
    feet = Counter(info.meter.split()[0] for info in infos if info.meter)
    return feet.most_common(1)[0][0] if feet else None


def poem_meter(infos: list[LineInfo]) -> meter.Meter | None:
    """The meter most of the poem's lines are in, when one is ("iambic pentameter")."""
    foot = dominant_foot(infos)
    return _dominant_meter(infos, foot) if foot else None


def _dominant_meter(infos: list[LineInfo], foot: str) -> meter.Meter | None:
    """The meter most lines of `foot` have, when it is most of them ("iambic pentameter")."""
    names = Counter(info.meter for info in infos if info.meter.startswith(foot + " "))
    name, n = names.most_common(1)[0]
    if n * 2 <= sum(names.values()):
        return None
    return next(m for m in meter.templates() if m.name == name)


def scan_poem(lines: list[str], meters: tuple[meter.Meter, ...] | None = None) -> list[LineInfo]:
    """Every line of a poem read in context: `meters` when given (a form's), else each line
    in the poem's dominant foot where that costs at most `CONTEXT_MARGIN` more than its own
    best fit (so "Admit impediments. Love is not love" is iambic in a sonnet)."""
    if meters is not None:
        return [scan_line(line, meters) for line in lines]
    free = [scan_line(line) for line in lines]
    foot = dominant_foot(free)
    if foot is None:
        return free
    tries = [context_meters(foot)]
    if (usual := _dominant_meter(free, foot)) is not None:
        tries.insert(0, (usual,))
    out = []
    for info, line in zip(free, lines, strict=True):
        if info.language == "en" and info.words:
            for allowed in tries:
                ctx = scan_line(line, allowed)
                if ctx.cost <= info.cost + CONTEXT_MARGIN:
                    info = ctx
                    break
        out.append(info)
    return out


@lru_cache(maxsize=8)
def context_meters(foot: str) -> tuple[meter.Meter, ...]:
    """Every length of one foot: the meters a line may take in a poem of that foot."""
    return tuple(m for m in meter.templates() if m.foot == foot)
