"""Syllables and stress of English words and lines: CMU first, a rule-based estimate after."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from tui.poetry import pronounce

#: A word as poets write it: letters, inner apostrophes ("summer's", "dimm'd") and a leading
#: one ("'tis"). Hyphens separate words ("sweet-scented" is two).
_WORD = re.compile(r"['\u2019]?[^\W\d_]+(?:['\u2019][^\W\d_]+)*|\d+")
_LETTERS = re.compile(r"[^a-z]")
_GROUPS = re.compile(r"[aeiouy]+")
#: Vowel pairs said as two syllables ("lion", "piano", "usual", "happier").
_SPLITS = (
    re.compile(r"(?<![cgstx])i[ao]"),
    re.compile(r"(?<![gq])u[ao]"),
    re.compile(r"[^aeiou]i(?:er|est)$"),
    re.compile(r"[aeiou]ing$"),
)
_MARKS = str.maketrans("120", "/\\x")
#: Syllables in the names of digits 0–9, for numbers written in figures.
_DIGITS = (2, 1, 1, 1, 1, 1, 1, 2, 1, 1)


def estimate_syllables(word: str) -> int:
    """A rule-based count for words the dictionary lacks: vowel groups, less silent endings."""
    if word.isdigit():
        return sum(_DIGITS[int(d)] for d in word)
    w = _LETTERS.sub("", pronounce.normalize(word))
    if not w:
        return 0
    core = w[1:] if w.startswith("y") and len(w) > 1 else w  # "yes": the y is a consonant
    count = len(_GROUPS.findall(core))
    if count > 1:
        if w.endswith("e") and not re.search(r"(?:[^aeiouy]le|[aeiouy]e)$", w):
            count -= 1  # silent e: "shade", but "table", "free"
        elif re.search(r"[^aeiouy]es$", w) and not re.search(r"(?:[sxzcg]|[cs]h)es$", w):
            count -= 1  # "makes", but "places", "wishes"
        elif re.search(r"[^aeiouytd]ed$", w):
            count -= 1  # "jumped", but "wanted", "faded"
    count += sum(len(rx.findall(w)) for rx in _SPLITS)
    return max(1, count)


@dataclass(frozen=True)
class WordInfo:
    """One word of a line.

    `stress` has one character per syllable: 1 primary, 2 secondary, 0 none (CMU's digits),
    ? unknown. `options` are the stress strings of all the word's pronunciations ("fire":
    "10" and "1"), which form checks use to be tolerant. `estimated` is true when the word is
    not in the dictionary and the count comes from rules.
    """

    text: str
    syllables: int
    stress: str
    estimated: bool
    options: tuple[str, ...]


@lru_cache(maxsize=65536)
def word_info(word: str) -> WordInfo:
    prons = pronounce.phones(word)
    if prons:
        options = tuple(dict.fromkeys(pronounce.stress_of(p) for p in prons))
        return WordInfo(word, len(options[0]), options[0], False, options)
    stress = _guess_stress(word)
    return WordInfo(word, len(stress), stress, True, (stress,))


def _guess_stress(word: str) -> str:
    """Stress for an unknown word: from a known compound or ending when there is one."""
    w = _LETTERS.sub("", pronounce.spelled_out(word))

    def stress(part: str) -> str:
        if pronounce.commonness(part) == pronounce.RARE:
            return ""  # only real words: the dictionary also has names and fragments
        found = pronounce.pronunciations(part)
        return pronounce.stress_of(tuple(found[0].split())) if found else ""

    # A compound of two known words ("blogpost"), then a known ending ("untrimmed").
    for cut in range(3, len(w) - 2):
        if (head := stress(w[:cut])) and (tail := stress(w[cut:])):
            return head + tail
    for cut in range(2, len(w) - 3):
        if _GROUPS.search(w[:cut]) and (tail := stress(w[cut:])):
            return "?" * estimate_syllables(w[:cut]) + tail
    return "?" * estimate_syllables(word)


def words(line: str) -> list[str]:
    """The words of a line, as written."""
    return _WORD.findall(line)


@dataclass(frozen=True)
class LineInfo:
    """Syllables and stress of one line.

    For English, `stress` joins the words' stress digits ("0101010101"); for Chinese it is
    the 平仄 of each character ("平平仄仄平") and `syllables` counts the characters.
    `estimated` is true when at least one word's count was guessed by rule.
    """

    text: str
    syllables: int
    stress: str
    estimated: bool
    words: tuple[WordInfo, ...]
    language: str = "en"

    @property
    def unknown(self) -> tuple[str, ...]:
        """The words whose counts are estimates."""
        return tuple(w.text for w in self.words if w.estimated)


def english_line_info(line: str) -> LineInfo:
    infos = tuple(word_info(w) for w in words(line))
    return LineInfo(
        text=line,
        syllables=sum(w.syllables for w in infos),
        stress="".join(w.stress for w in infos),
        estimated=any(w.estimated for w in infos),
        words=infos,
    )


def stress_marks(stress: str) -> str:
    """Scansion marks for a stress string: / stressed, \\ secondary, x unstressed, ? unknown."""
    return stress.translate(_MARKS)


def count_options(infos: tuple[WordInfo, ...]) -> dict[int, str]:
    """Every syllable count the line's pronunciations allow → a stress string giving it.

    The first pronunciations are preferred: each count keeps the first string found.
    """
    counts: dict[int, str] = {0: ""}
    for info in infos:
        nxt: dict[int, str] = {}
        for n, stress in counts.items():
            for option in info.options:
                nxt.setdefault(n + len(option), stress + option)
        counts = nxt
    return counts
