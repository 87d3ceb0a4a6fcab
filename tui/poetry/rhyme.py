"""English rhymes: words sharing the sounds from the last stressed vowel on.

Kinds, best first:

- **perfect**: the same sounds from the last stressed vowel to the end, a different
  consonant before it ("night" / "light");
- **near**: the same vowels from there on, other consonants ("night" / "ride"); or the same
  last syllable where one side is unstressed ("eternity" / "see");
- **identical**: the same sounds including the consonant before ("night" / "knight",
  "light" / "delight");
- **slant**: the same final consonants after different vowels ("love" / "prove",
  "temperate" / "date"), accepted only where a form is tolerant (the sonnet);
- **spelling**: for words the dictionary lacks, the same written ending ("ow'st" / "grow'st").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from tui.poetry import pronounce

PERFECT = "perfect"
NEAR = "near"
IDENTICAL = "identical"
SLANT = "slant"
SPELLING = "spelling"

_LETTERS = re.compile(r"[^a-z]")
_PLAIN_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_NOT_WORDS = frozenset({"re"})
#: Consonants grouped by how they are made, to rank near rhymes ("night" ~ "like" ~ "ride").
_MANNER = {
    **dict.fromkeys(("P", "B", "T", "D", "K", "G"), "stop"),
    **dict.fromkeys(("F", "V", "TH", "DH", "S", "Z", "SH", "ZH", "HH"), "fricative"),
    **dict.fromkeys(("CH", "JH"), "affricate"),
    **dict.fromkeys(("M", "N", "NG"), "nasal"),
    **dict.fromkeys(("L", "R", "W", "Y"), "approximant"),
}


@dataclass(frozen=True)
class Rhyme:
    word: str
    kind: str  # PERFECT, NEAR or IDENTICAL


def _bare(phone: str) -> str:
    return phone.rstrip("012")


def _skeleton(part: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(_bare(p) for p in part)


def _vowels(part: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(_bare(p) for p in part if pronounce.is_vowel(p))


def _onset(pron: tuple[str, ...], part: tuple[str, ...]) -> str:
    """The phone just before the rhyming part ("" at the start of the word)."""
    i = len(pron) - len(part)
    return _bare(pron[i - 1]) if i > 0 else ""


def _last_syllable(pron: tuple[str, ...]) -> tuple[tuple[str, ...], bool]:
    """The last vowel and what follows it (stress removed), and whether that vowel is stressed."""
    vowels = [i for i, p in enumerate(pron) if pronounce.is_vowel(p)]
    if not vowels:
        return _skeleton(pron), False
    i = vowels[-1]
    return _skeleton(pron[i:]), pron[i][-1] in "12"


def spelling_key(word: str) -> str:
    """The written ending from the last sounded vowel: "shade" → "ade", "grow'st" → "owst"."""
    w = _LETTERS.sub("", pronounce.normalize(word))
    groups = list(re.finditer(r"[aeiouy]+", w))
    if not groups:
        return w
    last = groups[-1]
    if len(groups) > 1 and w.endswith("e") and last.group() == "e" and last.start() > 0:
        last = groups[-2]  # silent final e
    return w[last.start() :]


def pronunciations(word: str) -> tuple[tuple[str, ...], ...]:
    """The dictionary's pronunciations, or that of the word's longest known ending."""
    prons = pronounce.phones(word)
    if prons:
        return prons
    tail = pronounce.tail_phones(word)
    return (tail,) if tail else ()


def _pair_kind(a: tuple[str, ...], b: tuple[str, ...]) -> str | None:
    ra, rb = pronounce.rhyming_part(a), pronounce.rhyming_part(b)
    if _skeleton(ra) == _skeleton(rb):
        return IDENTICAL if _onset(a, ra) == _onset(b, rb) else PERFECT
    if _bare(ra[0]) == _bare(rb[0]) and _vowels(ra) == _vowels(rb):
        return NEAR
    (la, sa), (lb, sb) = _last_syllable(a), _last_syllable(b)
    if la == lb and not (sa and sb):
        return NEAR
    if la[1:] and la[1:] == lb[1:]:
        return SLANT
    if _skeleton(ra)[1:] and _skeleton(ra)[1:] == _skeleton(rb)[1:]:
        return SLANT
    return None


_ORDER = (IDENTICAL, PERFECT, NEAR, SLANT, SPELLING)


def rhyme_kind(a: str, b: str) -> str | None:
    """How well two words rhyme: one of the kinds above, best found; None when they don't."""
    if pronounce.normalize(a).strip("'") == pronounce.normalize(b).strip("'"):
        return IDENTICAL
    pa, pb = pronunciations(a), pronunciations(b)
    best: str | None = None
    for x in pa:
        for y in pb:
            kind = _pair_kind(x, y)
            if kind is not None and (best is None or _ORDER.index(kind) < _ORDER.index(best)):
                best = kind
    if best in (IDENTICAL, PERFECT, NEAR):
        return best
    guessed = not pronounce.phones(a) or not pronounce.phones(b)
    if guessed and spelling_key(a) == spelling_key(b):
        return SPELLING
    return best


def rhyme_sound(word: str) -> str:
    """The rhyming part as text, for display: "night" → "AY T"; a spelling for unknown words."""
    prons = pronunciations(word)
    if not prons:
        return "-" + spelling_key(word)
    return " ".join(_skeleton(pronounce.rhyming_part(prons[0])))


def _near_pattern(part: tuple[str, ...]) -> re.Pattern[str]:
    """Phone strings ending in the part's vowels in order, with any consonants around them."""
    consonants = r"(?: [A-Z]+)*"
    pieces = [rf"(?:^| ){_bare(part[0])}[12]{consonants}"]
    pieces += [rf" {v}[012]{consonants}" for v in _vowels(part)[1:]]
    return re.compile("".join(pieces) + "$")


def _coda_distance(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    """0 when the consonants after the last vowel sound alike, more as they differ."""
    ca = [_bare(p) for p in a if not pronounce.is_vowel(p)][-1:]
    cb = [_bare(p) for p in b if not pronounce.is_vowel(p)][-1:]
    if ca == cb:
        return 0
    if ca and cb and _MANNER.get(ca[0]) == _MANNER.get(cb[0]):
        return 1
    return 2


def _listable(word: str) -> bool:
    """Words worth offering: no letters of the alphabet, abbreviations or odd spellings."""
    if not _PLAIN_WORD.fullmatch(word) or word in _NOT_WORDS:
        return False
    if len(word) == 1:
        return word in "aio"
    return len(word) > 2 or pronounce.commonness(word) <= 20


@lru_cache(maxsize=256)
def find_rhymes(word: str, limit: int = 50) -> tuple[Rhyme, ...]:
    """Rhymes for `word`, best first (`limit` 0: all).

    Perfect rhymes among common words come first (the most common, then the shortest, then
    those that start more words: "light" before "byte"), then
    near rhymes among common words (closest consonants first), then identical rhymes
    ("delight" for "light"), then perfect rhymes among rare words and names.
    """
    w = pronounce.normalize(word).strip("'")
    if not _LETTERS.sub("", w):
        return ()
    prons = pronunciations(w)
    found: dict[str, tuple[tuple[int, int, int, int, int, int, str], str]] = {}
    if not prons:  # nothing known: words with the same written ending
        key = spelling_key(w)
        for cand in pronounce.common_levels():
            if cand != w and cand.endswith(key) and pronounce.known(cand):
                level, used = pronounce.commonness(cand), -pronounce.family(cand)
                found[cand] = ((0, 0, level, 0, used, len(cand), cand), SPELLING)
    parts: dict[tuple[str, ...], tuple[tuple[str, ...], int]] = {}
    for i, p in enumerate(prons):
        parts.setdefault(pronounce.rhyming_part(p), (p, i))
    patterns = [(_near_pattern(part), part, pron, i) for part, (pron, i) in parts.items()]
    needles = {_bare(part[0]) for part in parts}
    for cand, n, phone_string in pronounce.entries():
        if not any(needle in phone_string for needle in needles):
            continue
        if cand == w or not _listable(cand):
            continue
        level = pronounce.commonness(cand)
        for pattern, part, pron, i in patterns:
            if not pattern.search(phone_string):
                continue
            cp = tuple(phone_string.split())
            if cp == pron:
                continue  # a homophone is no rhyme
            kind = _pair_kind(pron, cp)
            common = level < pronounce.RARE
            if kind == PERFECT:
                tier, dist = (0 if common else 3), 0
            elif kind == NEAR and common:
                tier, dist = 1, _coda_distance(part, pronounce.rhyming_part(cp))
            elif kind == IDENTICAL and common:
                tier, dist = 2, 0
            else:
                continue
            syllables = len(pronounce.stress_of(cp))
            used = -pronounce.family(cand)
            # Other pronunciations, the candidate's ("a" as EY1) or the word's, rank as rarer.
            rarer = level + (25 if n else 0) + (25 if i else 0)
            rank = (tier, dist, rarer, syllables, used, len(cand), cand)
            if cand not in found or rank < found[cand][0]:
                found[cand] = (rank, kind)
    ordered = sorted(found.items(), key=lambda item: item[1][0])
    if limit:
        ordered = ordered[:limit]
    return tuple(Rhyme(cand, kind) for cand, (_, kind) in ordered)
