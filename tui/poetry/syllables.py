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


#: Words normally unstressed in verse: articles, prepositions, conjunctions, pronouns,
#: auxiliaries (a meter may promote one to a beat).
FUNCTION_WORDS = frozenset(
    (
        "a",
        "o",
        "art",
        "wert",
        "an",
        "the",
        "and",
        "or",
        "nor",
        "but",
        "if",
        "as",
        "than",
        "that",
        "so",
        "yet",
        "for",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "from",
        "with",
        "up",
        "o'er",
        "'gainst",
        "'twixt",
        "upon",
        "into",
        "unto",
        "onto",
        "through",
        "thro'",
        "till",
        "'til",
        "is",
        "am",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "do",
        "does",
        "did",
        "doth",
        "dost",
        "has",
        "have",
        "had",
        "hath",
        "hast",
        "can",
        "could",
        "may",
        "might",
        "must",
        "shall",
        "shalt",
        "will",
        "wilt",
        "would",
        "should",
        "i",
        "me",
        "my",
        "mine",
        "thee",
        "thou",
        "thy",
        "thine",
        "you",
        "your",
        "ye",
        "he",
        "him",
        "his",
        "she",
        "her",
        "it",
        "its",
        "'tis",
        "we",
        "us",
        "our",
        "they",
        "them",
        "their",
        "who",
        "whom",
        "whose",
        "which",
        "what",
        "when",
        "where",
        "while",
        "not",
        "no",
        "there",
        "then",
        "this",
        "these",
        "those",
    )
)
#: Endings of a word poets say one syllable shorter: "wand'ring", "heav'n", "flow'r".
_ELISIONS = (
    re.compile(r"(?:^| )ER0(?= [A-Z]+[0-9])"),  # wandering, every, different
    re.compile(r"(?<=[12] V) (?:AH|IH|EH)0(?= N(?: Z)?$)"),  # even, heaven, given
    re.compile(r"(?<=(?:AW|AY)1) ER0"),  # flower, power, fire, hour
)
_GRAVE_ED = re.compile(r"[èë]d$")


@dataclass(frozen=True)
class WordInfo:
    """One word of a line.

    `stress` has one character per syllable: 1 primary, 2 secondary, 0 none (CMU's digits),
    ? unknown. `options` are the stress strings of all the word's readings: its
    pronunciations, then the elisions poets use ("heaven": "10" and "1"); `labels` says for
    each how it is read ("" for the usual reading, "heaven as 1 syllable"). `estimated` is
    true when the word is not in the dictionary and the count comes from rules; `function`
    when it is a word verse normally leaves unstressed ("the", "of", "is").
    """

    text: str
    syllables: int
    stress: str
    estimated: bool
    options: tuple[str, ...]
    labels: tuple[str, ...] = ()
    function: bool = False

    def label(self, option: str) -> str:
        """How the word is read in `option` ("" for its usual reading)."""
        if option in self.options and self.labels:
            return self.labels[self.options.index(option)]
        return ""


def _readings(word: str, prons: tuple[tuple[str, ...], ...]) -> dict[str, str]:
    """stress string → label, for every pronunciation and elision, the usual one first."""
    found: dict[str, str] = {}
    first = len(pronounce.stress_of(prons[0]))
    for pron in prons:
        stress = pronounce.stress_of(pron)
        n = len(stress)
        found.setdefault(stress, "" if n == first else f"{word} as {_n(n)}")
        joined = " ".join(pron)
        for rx in _ELISIONS:
            if rx.search(joined):
                short = pronounce.stress_of(tuple(rx.sub(" R", joined, count=1).split()))
                if 0 < len(short) < n:
                    found.setdefault(short, f"{word} as {_n(len(short))} (elided)")
    return found


def _n(count: int) -> str:
    return f"{count} syllable{'s' if count != 1 else ''}"


@lru_cache(maxsize=65536)
def word_info(word: str) -> WordInfo:
    function = pronounce.normalize(word).strip("'") in FUNCTION_WORDS
    grave = bool(_GRAVE_ED.search(word.lower()))
    prons = pronounce.phones(word)
    if prons:
        found = _readings(word, prons)
        if grave:  # "fixèd": the -ed is said, unstressed
            plain = {k: v for k, v in found.items() if not k.endswith("0") or len(k) == 1}
            found = {k + "0": f"{word}: -èd said" for k in (plain or found)}
        options = tuple(found)
        labels = tuple(found.values())
        return WordInfo(word, len(options[0]), options[0], False, options, labels, function)
    bare = pronounce.normalize(word).strip("'")
    if "'" in bare and (full := pronounce.phones(bare.replace("'", "e"))):
        # "wand'ring": the shorter readings of "wandering"
        found = _readings(word, full)
        longest = max(len(k) for k in found)
        short = [k for k in found if len(k) < longest] or list(found)
        return WordInfo(word, len(short[0]), short[0], False, tuple(short), ("",) * len(short))
    stress = _guess_stress(word)
    return WordInfo(word, len(stress), stress, True, (stress,), ("",), function)


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
    """Syllables and stress of one line, as `tui.poetry.scan.scan_line` reads it.

    For English, `stress` joins the words' stress digits ("0101010101") in the reading
    chosen; `low`–`high` is the range the readings allow (elisions: "heaven" 1 or 2);
    `scansion` is the line in context (x slack, / beat), `meter` its name ("iambic
    pentameter", "" when none fits), `deviations` the substitutions and endings,
    `notes` how words were read and which were estimated. For Chinese `stress` is the
    平仄 of each character ("平平仄仄平") and `syllables` counts the characters.
    `estimated` is true when at least one word's count was guessed by rule. `system` names
    what gave the reading: "cmudict" (English), "pingshui" or "xinyun" (Chinese).
    """

    text: str
    syllables: int
    stress: str
    estimated: bool
    words: tuple[WordInfo, ...]
    language: str = "en"
    low: int = 0
    high: int = 0
    scansion: str = ""
    meter: str = ""
    deviations: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    cost: float = 0.0
    system: str = ""

    @property
    def count_label(self) -> str:
        """The count as the views show it: "10", "~9" (estimated), "10 (9–10)" (elisions)."""
        count = f"~{self.syllables}" if self.estimated else str(self.syllables)
        if self.low != self.high:
            count += f" ({self.low}–{self.high})"
        return count

    @property
    def unknown(self) -> tuple[str, ...]:
        """The words whose counts are estimates."""
        return tuple(w.text for w in self.words if w.estimated)


def stress_marks(stress: str) -> str:
    """Scansion marks for a stress string: / stressed, \\ secondary, x unstressed, ? unknown."""
    return stress.translate(_MARKS)
