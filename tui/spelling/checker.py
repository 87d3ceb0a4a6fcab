"""The dictionaries and the check of a line: which words are unknown, and what to put instead.

Words come from pyspellchecker's word-frequency dictionary for the chosen language (it ships
en, de, es, fr, it, nl, pt, ru, ar, eu, fa and lv), the poem tools' CMU dictionary (names and
rare words a poet uses) and the writer's own list. CJK text is skipped (no spaces between its
words), and so are acronyms (NASA), words with capitals inside (iPhone) and words with digits.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from models.errors import QuillpenError

Span = tuple[int, int]
"""[start, end) columns of an unknown word in its line."""

_LETTER = r"[^\W\d_\u2e80-\u9fff\u3040-\u30ff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0002fa1f]"
WORD = re.compile(rf"(?<!\w){_LETTER}+(?:['\u2019]{_LETTER}+)*(?!\w)")
"""A word: letters (not CJK, kana or Hangul), with apostrophes inside (don't), not touching a
digit, an underscore or a CJK character."""
SUGGESTIONS = 8


class SpellingUnavailable(QuillpenError):
    """A dictionary could not be loaded (spelling is then off, said once)."""


@functools.lru_cache(maxsize=2)
def load_dictionary(language: str) -> Any:
    """pyspellchecker's checker for ``language`` (a code, or a path to a JSON word-frequency
    file, gzipped or not); slow (≈ 0.5 s for English): call it in a worker. Read once (it is
    only read from then on: the writer's own words are kept apart)."""
    try:
        from spellchecker import SpellChecker
    except ImportError as exc:  # pragma: no cover (a dependency)
        raise SpellingUnavailable(f"spelling needs pyspellchecker ({exc})") from None
    words = read_words(language)
    if not words:
        raise SpellingUnavailable(f"the dictionary {language} has no words")
    checker = SpellChecker(language=None)
    checker.word_frequency.load_json(words)
    return checker


def read_words(language: str) -> dict[str, int]:
    """The word-frequency list of ``language``, parsed a slice at a time: one ``json.loads``
    of the whole English list holds the interpreter for ≈ 0.25 s, and the editor's keys would
    wait that long for the worker thread; slices of 64 KB hold it ≈ 5 ms each."""
    from importlib import resources

    from tui.spelling import LANGUAGES

    is_path = "/" in language or language.endswith((".json", ".gz"))
    if not is_path and language not in LANGUAGES:
        raise SpellingUnavailable(
            f"no dictionary for {language!r} (there are {', '.join(LANGUAGES)}, or give the "
            "path of a JSON word-frequency file)"
        )
    try:
        if is_path:
            data = Path(language).expanduser().read_bytes()
        else:
            data = (
                resources.files("spellchecker") / "resources" / f"{language}.json.gz"
            ).read_bytes()
        if data[:2] == b"\x1f\x8b":
            import gzip

            data = gzip.decompress(data)
        return _parse_in_slices(data.decode("utf-8").lower())
    except (OSError, EOFError, UnicodeDecodeError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise SpellingUnavailable(f"cannot read the dictionary {language}: {reason}") from None


def _parse_in_slices(text: str, size: int = 65536) -> dict[str, int]:
    """``{"word": count, ...}`` with one entry a line (pyspellchecker's files), parsed in
    slices cut between entries; another layout is parsed whole."""
    import json

    body = text.strip()
    if not (body.startswith("{") and body.endswith("}")):
        raise ValueError("not a JSON object of words and counts")
    inner, words, start = body[1:-1], {}, 0
    while start < len(inner):
        cut = inner.find(',\n"', start + size)
        end = len(inner) if cut < 0 else cut
        part = json.loads("{" + inner[start:end] + "}")
        if not isinstance(part, dict):
            raise ValueError("not a JSON object of words and counts")
        words.update(part)
        start = end + 1
    return {w: n for w, n in words.items() if isinstance(w, str) and isinstance(n, int)}


def english_names() -> Collection[str]:
    """The poem tools' CMU dictionary: what it knows is never flagged."""
    from tui.poetry.pronounce import cmudict

    return cmudict()


class Speller:
    """Checks lines against its dictionaries; thread-safe for reading (a worker's pass)."""

    def __init__(
        self, checker: Any, also_known: Collection[str] = (), personal: Collection[str] = ()
    ) -> None:
        """``checker``: a pyspellchecker ``SpellChecker`` (:func:`load_dictionary`)."""
        self.checker = checker
        self.frequencies: Mapping[str, int] = checker.word_frequency.dictionary
        self.also_known = also_known
        self.personal = {word.lower() for word in personal}

    @classmethod
    def load(cls, language: str, personal: Collection[str]) -> Speller:
        """Every dictionary read (slow: in a worker); raises :class:`SpellingUnavailable`."""
        return cls(load_dictionary(language), english_names(), personal)

    def add(self, word: str) -> None:
        self.personal.add(_plain(word))

    def known(self, word: str) -> bool:
        """Whether ``word`` (as written in the text) is spelled right, or not to be checked."""
        if len(word) < 2 or word.isupper() or (not word[1:].islower() and not word.istitle()):
            return True  # a letter, an acronym, a word with capitals inside
        plain = _plain(word)
        if self._knows(plain) or (plain.endswith("'s") and self._knows(plain[:-2])):
            return True
        return not plain.isascii() and self._knows(_without_accents(plain))

    def _knows(self, plain: str) -> bool:
        return plain in self.frequencies or plain in self.personal or plain in self.also_known

    def unknown_spans(self, line: str) -> tuple[Span, ...]:
        """The unknown words of ``line``."""
        known = self.known
        return tuple(m.span() for m in WORD.finditer(line) if not known(m.group()))

    def suggestions(self, word: str, limit: int = SUGGESTIONS) -> list[str]:
        """Known words close to ``word`` (two edits at most), the most common first, in its
        case (Title, UPPER)."""
        frequencies = self.frequencies
        plain = _plain(word)
        found = self.checker.candidates(plain) if len(plain) < 20 else None
        ranked = sorted(found or (), key=lambda w: (-frequencies.get(w, 0), w))
        return [_like(word, w) for w in ranked if w != plain][:limit]


def _plain(word: str) -> str:
    return word.replace("\u2019", "'").lower()


def _without_accents(word: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def _like(original: str, word: str) -> str:
    if original.isupper():
        return word.upper()
    if original[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def find_unknown(speller: Speller, text: str) -> list[tuple[int, int, str]]:
    """(line, column, word) of each unknown word of ``text``, 0-based."""
    found: list[tuple[int, int, str]] = []
    for row, line in enumerate(text.split("\n")):
        for start, end in speller.unknown_spans(line):
            found.append((row, start, line[start:end]))
    return found
