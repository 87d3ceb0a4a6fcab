"""English rhymes: words sharing the sounds from the last stressed vowel on.

Kinds, best first:

- **perfect**: the same sounds from the last stressed vowel to the end, a different onset
  (the whole consonant cluster before that vowel): "night" / "light", "rain" / "train";
- **identical**: the same sounds and the same onset: "light" / "delight", "night" / "knight";
- **slant**: consonance, the same consonants after different stressed vowels ("love" /
  "prove"; in one-syllable rhymes the same last consonant: "room" / "storm"), or a light
  rhyme, an unstressed last syllable on a stressed one ("eternity" / "see", "temperate" /
  "date");
- **eye**: spelled alike, said differently ("cough" / "bough");
- **assonance**: only the vowels agree ("cat" / "bad", "death" / "ourselves");
- **spelling**: for words the dictionary lacks, the same written ending ("ow'st" / "grow'st").

Form checks accept perfect, identical and spelling rhymes, accept slant and eye rhymes with a
note, and fail assonance unless asked to be loose (`LOOSE_KINDS`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache, lru_cache

from tui.poetry import pronounce

PERFECT = "perfect"
IDENTICAL = "identical"
SLANT = "slant"
EYE = "eye"
ASSONANCE = "assonance"
SPELLING = "spelling"

#: Kinds, best first.
KINDS = (IDENTICAL, PERFECT, SPELLING, SLANT, EYE, ASSONANCE)
#: What a form check accepts; `NOTED` kinds are accepted with a note.
STRICT_KINDS = frozenset({IDENTICAL, PERFECT, SPELLING, SLANT, EYE})
LOOSE_KINDS = STRICT_KINDS | {ASSONANCE}
NOTED = frozenset({SPELLING, SLANT, EYE, ASSONANCE})

_LETTERS = re.compile(r"[^a-z]")
_PLAIN_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_NOT_WORDS = frozenset({"re"})
Phones = tuple[str, ...]


@dataclass(frozen=True)
class Rhyme:
    word: str
    kind: str


def _bare(phone: str) -> str:
    return phone.rstrip("012")


def _skeleton(part: Phones) -> Phones:
    return tuple(_bare(p) for p in part)


def _vowels(part: Phones) -> Phones:
    return tuple(_bare(p) for p in part if pronounce.is_vowel(p))


#: Consonant clusters English begins a syllable with (beyond single consonants).
_ONSET_TEXT = (
    "P L|B L|K L|G L|F L|S L|P R|B R|T R|D R|K R|G R|F R|TH R|SH R|S P|S T|S K|S M|S N|"
    "S W|T W|D W|K W|G W|TH W|S P L|S P R|S T R|S K R|S K W|S K L|P Y|B Y|K Y|F Y|M Y|HH Y"
)
_ONSETS = frozenset(tuple(c.split()) for c in _ONSET_TEXT.split("|"))


def onset(pron: Phones, part: Phones) -> Phones:
    """The onset of the rhyming syllable: the consonants just before the rhyming part that
    can begin a syllable ("train": T R; "lifetime": T, the F ends "life")."""
    i = len(pron) - len(part)
    j = i
    while j > 0 and not pronounce.is_vowel(pron[j - 1]):
        j -= 1
    run = _skeleton(pron[j:i])
    for k in range(len(run)):
        if len(run) - k == 1 or run[k:] in _ONSETS:
            return pron[j + k : i]
    return ()


def _last_syllable(pron: Phones) -> tuple[Phones, bool]:
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


def pronunciations(word: str) -> tuple[Phones, ...]:
    """The dictionary's pronunciations, or that of the word's longest known ending."""
    prons = pronounce.phones(word)
    if prons:
        return prons
    tail = pronounce.tail_phones(word)
    return (tail,) if tail else ()


def pair_kind(a: Phones, b: Phones) -> str | None:
    """How two pronunciations rhyme (not EYE or SPELLING, which need the spelling)."""
    ra, rb = pronounce.rhyming_part(a), pronounce.rhyming_part(b)
    sa, sb = _skeleton(ra), _skeleton(rb)
    if sa == sb:
        return IDENTICAL if _skeleton(onset(a, ra)) == _skeleton(onset(b, rb)) else PERFECT
    if sa[1:] and sa[1:] == sb[1:]:
        return SLANT  # consonance: love / prove
    if _one_syllable(sa) and _one_syllable(sb) and sa[-1] == sb[-1] and sa[-1] != sa[0]:
        return SLANT  # the same last consonant: room / storm
    (la, stressed_a), (lb, stressed_b) = _last_syllable(a), _last_syllable(b)
    if la[1:] == lb[1:] and stressed_a != stressed_b and (la == lb or la[1:]):
        return SLANT  # a light rhyme: eternity / see, temperate / date
    if _vowels(ra) == _vowels(rb):
        return ASSONANCE
    return None


def _one_syllable(part: Phones) -> bool:
    return sum(1 for p in part if p[0] in "AEIOU") == 1


def _better(kind: str | None, best: str | None) -> bool:
    return kind is not None and (best is None or KINDS.index(kind) < KINDS.index(best))


def rhyme_kind(a: str, b: str) -> str | None:
    """How well two words rhyme: one of `KINDS`, the best any pronunciations give; None."""
    if pronounce.normalize(a).strip("'") == pronounce.normalize(b).strip("'"):
        return IDENTICAL
    pa, pb = pronunciations(a), pronunciations(b)
    best: str | None = None
    for x in pa:
        for y in pb:
            if _better(kind := pair_kind(x, y), best):
                best = kind
    if best in (IDENTICAL, PERFECT):
        return best
    guessed = not pronounce.phones(a) or not pronounce.phones(b)
    if spelling_key(a) == spelling_key(b) and len(spelling_key(a)) > 1:
        if guessed:
            return SPELLING
        if _better(EYE, best):
            return EYE
    return best


def rhyme_sound(word: str) -> str:
    """The rhyming part as text, for display: "night" → "AY T"; a spelling for unknown words."""
    prons = pronunciations(word)
    if not prons:
        return "-" + spelling_key(word)
    return " ".join(_skeleton(pronounce.rhyming_part(prons[0])))


#: The order of suggestions: perfect rhymes first (an identical one is a weaker rhyme).
_OFFER = (PERFECT, IDENTICAL, SPELLING, SLANT, EYE, ASSONANCE)
#: The rhyming part of a phone string: the last stressed vowel and what follows.
_TAIL = re.compile(r"[A-Z]+[12](?: [A-Z]+0?)*$")
_DIGITS = re.compile(r"\d")


@dataclass(frozen=True)
class _Index:
    """The dictionary by rhyming part ("AY T": (word, phones)…), and the parts by what
    follows their vowel ("T") and by their vowels ("AY")."""

    by_part: dict[str, list[tuple[str, str, int]]]
    by_coda: dict[str, list[str]]
    by_vowels: dict[str, list[str]]


_NO_DIGITS = str.maketrans("", "", "012")


def _part_key(phone_string: str) -> str:
    """The rhyming part of a phone string without stress digits: "L AY1 T" → "AY T"."""
    at = max(phone_string.rfind("1"), phone_string.rfind("2"))
    if at < 0:
        found = _TAIL.search(phone_string)
        return _DIGITS.sub("", found.group() if found else phone_string)
    return phone_string[phone_string.rfind(" ", 0, at) + 1 :].translate(_NO_DIGITS)


def _plain(word: str) -> bool:
    """Letters, with at most one apostrophe inside ("o'er"): what `_PLAIN_WORD` matches."""
    if word.isalpha() and word.isascii() and word.islower():
        return True
    return bool(_PLAIN_WORD.fullmatch(word))


def _vowel_key(part: str) -> str:
    return " ".join(p for p in part.split() if p[0] in "AEIOU")


@cache
def _index() -> _Index:
    by_part: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    keys: dict[str, str] = {}  # a phone string's tail from its last stressed vowel → key
    for word, n, phone_string in pronounce.entries():
        if not _plain(word) or word in _NOT_WORDS:
            continue
        at = max(phone_string.rfind("1"), phone_string.rfind("2"))
        tail = phone_string[phone_string.rfind(" ", 0, at) + 1 :] if at >= 0 else phone_string
        key = keys.get(tail)
        if key is None:
            key = keys[tail] = _part_key(tail)
        by_part[key].append((word, phone_string, n))
    by_coda: dict[str, list[str]] = defaultdict(list)
    by_vowels: dict[str, list[str]] = defaultdict(list)
    for part in by_part:
        coda = part.partition(" ")[2]
        if coda:
            by_coda[coda].append(part)
        by_vowels[_vowel_key(part)].append(part)
    return _Index(dict(by_part), dict(by_coda), dict(by_vowels))


def _listable(word: str, rare: bool) -> bool:
    """Words worth offering: real words (not names or oddities unless `rare`), no letters."""
    if len(word) == 1:
        return word in "aio"
    return rare or pronounce.frequency(word) is not None


@lru_cache(maxsize=256)
def find_rhymes(word: str, limit: int = 50, rare: bool = False) -> tuple[Rhyme, ...]:
    """Rhymes for `word`, best first (`limit` 0: all).

    Perfect rhymes first, the most frequent words first ("rain": train, brain, plain…), then
    identical rhymes ("delight" for "light"), slant rhymes (consonance), then assonance.
    Homophones are no rhymes. Names and the dictionary's oddities only when `rare`, after the
    real words of their kind.
    """
    w = pronounce.normalize(word).strip("'")
    if not _LETTERS.sub("", w):
        return ()
    prons = pronunciations(w)
    ranked: dict[str, tuple[tuple[int, bool, bool, int, int, str], str]] = {}

    def offer(cand: str, kind: str, syllables: int, other: bool = False) -> None:
        """`other`: by a pronunciation not the candidate's usual one ("a" as EY)."""
        freq = pronounce.frequency(cand)
        rank = (_OFFER.index(kind), freq is None, other, -(freq or 0), syllables, cand)
        if cand not in ranked or rank < ranked[cand][0]:
            ranked[cand] = (rank, kind)

    if not prons:  # nothing known: words with the same written ending
        key = spelling_key(w)
        for cand in pronounce.frequencies():
            if cand != w and cand.endswith(key) and len(cand) > 1:
                offer(cand, SPELLING, 0)
    index = _index()
    own = {" ".join(p) for p in prons}
    homophones = {c for p in own for c, cp, _ in index.by_part.get(_part_key(p), ()) if cp in own}
    for pron in prons:
        part = _part_key(" ".join(pron))
        mine = _skeleton(onset(pron, pronounce.rhyming_part(pron)))
        others = [(part, "")]
        coda = part.partition(" ")[2]
        others += [(p, SLANT) for p in index.by_coda.get(coda, ()) if coda and p != part]
        others += [(p, ASSONANCE) for p in index.by_vowels.get(_vowel_key(part), ())]
        for other, kind in others:
            for cand, phone_string, n in index.by_part.get(other, ()):
                if cand == w or cand in homophones or not _listable(cand, rare):
                    continue
                cp = tuple(phone_string.split())
                if not kind:
                    theirs = _skeleton(onset(cp, pronounce.rhyming_part(cp)))
                    same = IDENTICAL if theirs == mine else PERFECT
                    offer(cand, same, _syllables(cp), n > 0)
                elif other != part:
                    offer(cand, kind, _syllables(cp), n > 0)
    ordered = sorted(ranked.items(), key=lambda item: item[1][0])
    if limit:
        ordered = ordered[:limit]
    return tuple(Rhyme(cand, kind) for cand, (_, kind) in ordered)


def _syllables(pron: Phones) -> int:
    return sum(1 for p in pron if pronounce.is_vowel(p))
