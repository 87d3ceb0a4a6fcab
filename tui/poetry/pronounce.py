"""Pronunciations from the CMU Pronouncing Dictionary, shipped in `data/` (BSD-style licence).

The dictionary (135k entries, 0.9 MB gzipped) is read once, on first use, into a dict of
word → phone strings ("N AY1 T"); splitting into phones happens per looked-up word. A word
list graded by how common each word is (from SCOWL, permissive licence) guides estimates, and
word frequencies (`word-freq.txt.gz`, from wordfreq, CC BY-SA 4.0) rank rhymes and tell real
words from the dictionary's names and oddities.
"""

from __future__ import annotations

import gzip
import re
import unicodedata
from collections.abc import Iterator
from functools import cache, lru_cache
from importlib import resources

_DATA = "data"
CMUDICT_FILE = "cmudict.dict.gz"
COMMON_FILE = "common-words.txt.gz"
FREQ_FILE = "word-freq.txt.gz"

#: Poets' contractions the dictionary lacks.
_POETIC = {
    "e'en": "IY1 N",
    "e'er": "EH1 R",
    "ne'er": "N EH1 R",
    "o'er": "OW1 R",
    "heav'n": "HH EH1 V N",
    "ev'ry": "EH1 V R IY0",
    "pow'r": "P AW1 R",
    "flow'r": "F L AW1 R",
    "'tis": "T IH1 Z",
    "'twas": "T W AA1 Z",
    "'twere": "T W ER1",
}
#: Dictionary entries that are wrong ("thyme" said with TH): word → the right phones.
_FIXES = {"thyme": "T AY1 M"}

#: Rank given to a word that is not in the graded word list (names, rare words).
RARE = 99

_VOWEL = re.compile(r"\d$")
_APOS = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})


def _read(name: str) -> str:
    data = resources.files("tui.poetry").joinpath(_DATA).joinpath(name).read_bytes()
    return gzip.decompress(data).decode("utf-8")


@cache
def cmudict() -> dict[str, str]:
    """The dictionary as read: "night" → "N AY1 T"; a word's other pronunciations are under
    "word(2)", "word(3)"…, and a few values end in a comment ("# place, danish").

    Use `pronunciations` for a word, `entries` to walk them all.
    """
    return dict(line.split(" ", 1) for line in _read(CMUDICT_FILE).splitlines() if " " in line)


def _clean(phones: str) -> str:
    return phones.partition("#")[0].strip() if "#" in phones else phones


def known(word: str) -> bool:
    """Whether the dictionary has `word` (lower case, as it spells it)."""
    return word in cmudict()


def pronunciations(word: str) -> tuple[str, ...]:
    """The dictionary's phone strings for `word` exactly as spelled, () when it lacks it."""
    d = cmudict()
    first = d.get(word)
    if first is None:
        return ()
    if word in _FIXES:
        return (_FIXES[word],)
    found = [_clean(first)]
    while (more := d.get(f"{word}({len(found) + 1})")) is not None:
        found.append(_clean(more))
    return tuple(found)


def entries() -> Iterator[tuple[str, int, str]]:
    """Every (word, n, phone string) in the dictionary; n = 0 for a word's first pronunciation."""
    for key, phones in cmudict().items():
        if key.endswith(")"):
            cut = key.index("(")
            if key[:cut] not in _FIXES:
                yield key[:cut], int(key[cut + 1 : -1]) - 1, _clean(phones)
        else:
            yield key, 0, _FIXES.get(key) or _clean(phones)


@cache
def common_levels() -> dict[str, int]:
    """word → SCOWL size level (10 = among the most common … 70 = rare but real)."""
    levels: dict[str, int] = {}
    for line in _read(COMMON_FILE).splitlines():
        level, _, words = line.partition("\t")
        for word in words.split():
            levels[word] = int(level)
    return levels


def commonness(word: str) -> int:
    """Lower is more common; `RARE` for words the graded list does not have."""
    return common_levels().get(word, RARE)


@cache
def frequencies() -> dict[str, int]:
    """Real words → ten times their Zipf frequency (the → 77, glove → 37; 0: too rare to count).

    Only dictionary words that SCOWL lists in lower case: names ("sondheim") and the
    dictionary's fragments are absent.
    """
    freq: dict[str, int] = {}
    for line in _read(FREQ_FILE).splitlines():
        zipf, _, words = line.partition("\t")
        for word in words.split():
            freq[word] = int(zipf)
    return freq


def frequency(word: str) -> int | None:
    """Ten times the Zipf frequency of a real word, None for a name or oddity."""
    return frequencies().get(word)


def normalize(word: str) -> str:
    """Lower case, curly apostrophes made straight, accents dropped ("café" → "cafe")."""
    word = word.translate(_APOS).lower()
    if word.isascii():
        return word
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


@lru_cache(maxsize=65536)
def phones(word: str) -> tuple[tuple[str, ...], ...]:
    """The dictionary's pronunciations of `word`, each a tuple of phones; () when unknown.

    Apostrophe forms are tried as poets write them: "dimm'd" is "dimmed", "summer's" is
    "summer" + Z when the dictionary lacks the possessive.
    """
    w = normalize(word)
    if w in _POETIC:
        return (tuple(_POETIC[w].split()),)
    bare = w.strip("'")
    candidates = [w, bare]
    if bare.endswith("'d"):  # dimm'd → dimmed
        candidates += [bare[:-2] + "ed", bare[:-2] + "d"]
    if "'" in bare:
        candidates.append(bare.replace("'", ""))
    for candidate in candidates:
        if found := pronunciations(candidate):
            return tuple(tuple(p.split()) for p in found)
    if bare.endswith("'s") and (found := pronunciations(bare[:-2])):
        return tuple((*p.split(), "Z") for p in found)
    if bare.endswith("s") and not bare.endswith("ss") and (found := pronunciations(bare[:-1])):
        return tuple((*p.split(), _plural(p.split()[-1])) for p in found)  # tempests
    return ()


def _plural(last: str) -> str:
    return "S" if last in ("P", "T", "K", "F", "TH") else "Z"


def spelled_out(word: str) -> str:
    """The word with a poet's elision undone where that is safe: "untrimm'd" → "untrimmed"."""
    w = normalize(word).strip("'")
    if w.endswith("'d"):
        w = w[:-2] + "ed"
    return w


def is_vowel(phone: str) -> bool:
    return bool(_VOWEL.search(phone))


def stress_of(pron: tuple[str, ...]) -> str:
    """The stress digits of a pronunciation, one per syllable: "AO1 R AH0 N JH" → "10"."""
    return "".join(p[-1] for p in pron if is_vowel(p))


def rhyming_part(pron: tuple[str, ...]) -> tuple[str, ...]:
    """From the last stressed vowel to the end, stress digits 1 and 2 made equal.

    A word with no stressed vowel ("the" as DH AH0) rhymes from its last vowel.
    """
    vowels = [i for i, p in enumerate(pron) if is_vowel(p)]
    if not vowels:
        return pron
    stressed = [i for i in vowels if pron[i][-1] in "12"]
    start = stressed[-1] if stressed else vowels[-1]
    part = list(pron[start:])
    if part[0][-1] == "2":
        part[0] = part[0][:-1] + "1"
    return tuple(part)


def warm() -> None:
    """Load the data now (e.g. in a worker thread before the writer asks)."""
    cmudict()
    common_levels()
    frequencies()


@lru_cache(maxsize=4096)
def tail_phones(word: str) -> tuple[str, ...]:
    """For a word the dictionary lacks: the pronunciation of its longest known ending.

    "untrimmed" ends in "trimmed"; enough to rhyme it. () when no ending of 3+ letters is known.
    """
    w = re.sub(r"[^a-z]", "", spelled_out(word))
    for cut in range(1, len(w) - 2):
        tail = w[cut:]
        if commonness(tail) < RARE and (found := pronunciations(tail)):
            return tuple(found[0].split())
    return ()
