"""Scansion: fit a line's syllables to metrical templates and name the best.

Each syllable gets a weight from its word, in context:

- `P` the main stress of a longer word, `T` a secondary stress, `U` an unstressed syllable
  of a longer word: fixed by the word;
- `C` a content monosyllable ("love", "fool"): stressed, but a meter may demote it;
- `F` a function word ("the", "of", "is"): unstressed, but a meter may promote it;
- `p` the stress of a longer function word ("upon", "into"), weaker than `P`;
- `Q` a syllable of a word the dictionary lacks.

A template is a foot (iamb x/, trochee /x, anapest xx/, dactyl /xx) repeated one to seven
times, with the substitutions poets use, each at a small cost: trochaic inversion, anapestic
substitution, a headless line (the first slack syllable dropped), a feminine ending (an extra
slack syllable), catalexis. A syllable in the wrong place costs by its weight: a `P` in a
slack place is a real clash, a promoted `F` almost free. The cheapest fit names the meter.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

IAMB, TROCHEE, ANAPEST, DACTYL = "iambic", "trochaic", "anapestic", "dactylic"
FEET = {IAMB: "x/", TROCHEE: "/x", ANAPEST: "xx/", DACTYL: "/xx"}
LENGTHS: tuple[str, ...] = ("", "monometer", "dimeter", "trimeter", "tetrameter", "pentameter")
LENGTHS += ("hexameter", "heptameter")
#: Cost of a syllable of each weight in a slack (x) and a beat (/) place.
_COST = {
    "P": (1.2, 0.0),
    "p": (0.3, 0.0),
    "T": (0.1, 0.0),
    "U": (0.0, 0.6),
    "C": (0.3, 0.0),
    "F": (0.0, 0.25),
    "Q": (0.1, 0.1),
}
#: A small preference between meters that fit equally well (iambic is the commonest).
_BIAS = {IAMB: 0.0, ANAPEST: 0.1, TROCHEE: 0.1, DACTYL: 0.2}
STRONG = frozenset("PpTC")


@dataclass(frozen=True)
class Meter:
    foot: str  # IAMB, TROCHEE, ANAPEST or DACTYL
    feet: int

    @property
    def name(self) -> str:
        """ "iambic pentameter"."""
        length = LENGTHS[self.feet] if self.feet < len(LENGTHS) else f"{self.feet}-foot"
        return f"{self.foot} {length}"


@dataclass(frozen=True)
class Fit:
    """A line fitted to a meter: the scansion marks, what deviates, and the cost."""

    meter: Meter
    marks: str  # one x or / per syllable
    deviations: tuple[str, ...]
    cost: float


def _variants(foot: str, index: int, last: bool) -> tuple[tuple[str, float, str], ...]:
    """The ways to say foot `index` of a `foot` line: (places, cost, name of the deviation)."""
    if foot == IAMB:
        out = [("x/", 0.0, ""), ("/x", 0.25 if index == 0 else 0.6, "trochaic inversion")]
        out.append(("xx/", 0.5, "anapestic substitution"))
        if index == 0:
            out.append(("/", 0.5, "headless"))
        return tuple(out)
    if foot == TROCHEE:
        out = [("/x", 0.0, ""), ("x/", 0.6, "iambic substitution")]
        if last:
            out.append(("/", 0.05, "catalectic"))
        return tuple(out)
    if foot == ANAPEST:
        return (("xx/", 0.0, ""), ("x/", 0.1 if index == 0 else 0.3, "iamb for anapest"))
    out = [("/xx", 0.0, ""), ("/x", 0.3, "trochee for dactyl")]
    if last:
        out += [("/", 0.05, "catalectic"), ("/x", 0.05, "catalectic")]
    return tuple(out)


def _endings(foot: str) -> tuple[tuple[str, float, str], ...]:
    if foot in (IAMB, ANAPEST):
        return (("", 0.0, ""), ("x", 0.1, "feminine ending"), ("xx", 0.8, "triple ending"))
    return (("", 0.0, ""),)


_Partial = tuple[float, tuple[str, ...], tuple[str, ...]]


@lru_cache(maxsize=16384)
def fit(weights: str, meter: Meter) -> Fit | None:
    """The cheapest way to say `weights` (one letter a syllable, see above) in `meter`."""
    n = len(weights)
    # layer[j]: the cheapest (cost, feet's places, deviations) said over j syllables.
    layer: dict[int, _Partial] = {0: (0.0, (), ())}
    for i in range(meter.feet):
        nxt: dict[int, _Partial] = {}
        for j, (cost, feet, devs) in layer.items():
            for pattern, extra, name in _variants(meter.foot, i, i == meter.feet - 1):
                end = j + len(pattern)
                if end > n:
                    continue
                c = (
                    cost
                    + extra
                    + sum(_place_cost(w, p) for w, p in zip(weights[j:end], pattern, strict=True))
                )
                dev = (*devs, f"{name} (foot {i + 1})") if name else devs
                if end not in nxt or c < nxt[end][0]:
                    nxt[end] = (c, (*feet, pattern), dev)
        layer = nxt
    done: _Partial | None = None
    for j, (cost, feet, devs) in layer.items():
        for tail, extra, name in _endings(meter.foot):
            if j + len(tail) != n:
                continue
            c = cost + extra
            if done is None or c < done[0]:
                done = (c, (*feet, tail) if tail else feet, (*devs, name) if name else devs)
    if done is None:
        return None
    cost, feet, devs = done
    marks = _marks(weights, feet, meter.foot in (IAMB, TROCHEE))
    devs += _stress_deviations(weights, feet[: meter.feet], marks, meter)
    return Fit(meter, marks, devs, round(cost + _BIAS[meter.foot], 3))


def _place_cost(weight: str, place: str) -> float:
    slack, beat = _COST.get(weight, _COST["Q"])
    return beat if place == "/" else slack


def _marks(weights: str, feet: tuple[str, ...], binary: bool) -> str:
    """The scansion: the meter's places, with the line's own stresses where they clash.

    A longer word's stress in a slack place always shows. In a binary meter a content
    monosyllable beside another in the first or last foot shows too: a spondee ("ROUGH
    WINDS", "true MINDS" → "TRUE MINDS"); elsewhere it is read demoted.
    """
    places = "".join(feet)
    out = list(places)
    edges = set(range(len(feet[0]))) | set(range(len(places) - len(feet[-1]), len(places)))
    for i, (w, p) in enumerate(zip(weights, places, strict=True)):
        if p != "x" or w not in "PC":
            continue
        beside = [k for k in (i - 1, i + 1) if 0 <= k < len(weights) and places[k] == "/"]
        if w == "P" or (binary and i in edges and any(weights[k] == "C" for k in beside)):
            out[i] = "/"
    return "".join(out)


def _stress_deviations(
    weights: str, feet: tuple[str, ...], marks: str, meter: Meter
) -> tuple[str, ...]:
    """Spondees (two stresses in one foot) and pyrrhics (a foot of two weak syllables, one of
    them in a longer word: two function words in a row are read with one promoted)."""
    if meter.foot not in (IAMB, TROCHEE):
        return ()
    out = []
    at = 0
    for i, pattern in enumerate(feet):
        here = weights[at : at + len(pattern)]
        if len(pattern) == 2 and marks[at : at + 2] == "//":
            out.append(f"spondee (foot {i + 1})")
        elif pattern == FEET[meter.foot] and set(here) <= {"F", "U"} and "U" in here:
            out.append(f"pyrrhic (foot {i + 1})")
        at += len(pattern)
    return tuple(out)


def templates(feet: range = range(1, 8)) -> tuple[Meter, ...]:
    return tuple(Meter(foot, k) for foot in FEET for k in feet)


def best_fit(weights: str, meters: tuple[Meter, ...] | None = None) -> Fit | None:
    """The meter (of `meters`, default all) that fits `weights` best."""
    found = [f for m in meters or templates() if (f := fit(weights, m)) is not None]
    return min(found, key=lambda f: (f.cost, f.meter.feet)) if found else None
