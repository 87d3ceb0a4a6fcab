"""The check of a line: what counts as a word, what is skipped (CJK, acronyms), which
dictionaries know a word, the suggestions, and the table of checked lines."""

from __future__ import annotations

import functools
import gzip
import json
from pathlib import Path

from tui.spelling.checker import Speller, find_unknown, read_words
from tui.spelling.marks import SpellMarks
from tui.store import personal_words


@functools.cache
def speller() -> Speller:
    return Speller.load("en", ())


def unknown(line: str, checker: Speller | None = None) -> list[str]:
    return [line[a:b] for a, b in (checker or speller()).unknown_spans(line)]


def test_words_and_what_is_skipped() -> None:
    assert unknown("Teh wrold is big.") == ["Teh", "wrold"]
    assert unknown("NASA and iPhone, abc123, x, don't, John's, naïve café") == []
    assert unknown("我用中文写作，wrold 和 日本語のテキスト 한국어") == ["wrold"]
    assert unknown("curly apostrophes: don’t, isn’t") == []


def test_the_poem_tools_dictionary_is_known() -> None:
    # A surname the CMU dictionary has and pyspellchecker's English list lacks.
    assert "babinski" not in speller().frequencies
    assert unknown("Dr Babinski came.") == []


def test_suggestions_most_common_first_in_the_words_case() -> None:
    assert speller().suggestions("wrold")[0] == "world"
    assert speller().suggestions("Teh")[0] == "The"
    assert speller().suggestions("WROLD")[0] == "WORLD"


def test_personal_words_are_known_and_kept() -> None:
    checker = Speller(speller().checker, (), personal_words.load())
    assert unknown("Zorblax sailed.", checker) == ["Zorblax"]
    assert personal_words.add("Zorblax")
    checker = Speller(speller().checker, (), personal_words.load())
    assert unknown("Zorblax sailed; ZORBLAX.", checker) == []
    assert personal_words.path().read_text().startswith('{"version": 1')


def test_find_unknown_gives_line_and_column() -> None:
    assert find_unknown(speller(), "ok\nthe wrold\n") == [(1, 4, "wrold")]


def test_each_line_is_checked_once_while_it_stays_the_same() -> None:
    marks = SpellMarks()
    marks.speller = speller()
    lines = ["The wrold.", "Fine words.", "The wrold."]
    assert marks.check_all(lines) == 2
    before = marks.checks
    assert [marks.spans(line) for line in lines] == [((4, 9),), (), ((4, 9),)]
    assert marks.checks == before  # the pass checked them already
    marks.spans("The wrold!")
    assert marks.checks == before + 1


def test_next_unknown_goes_round() -> None:
    marks = SpellMarks()
    marks.speller = speller()
    lines = ["a wrold here", "clean", "teh end"]
    assert marks.next_unknown(lines, 0, 0) == (0, 2, 7)
    assert marks.next_unknown(lines, 0, 8) == (2, 0, 3)
    assert marks.next_unknown(lines, 2, 4) == (0, 2, 7)  # round to the top
    assert marks.next_unknown(["all fine"], 0, 0) is None


def test_the_list_read_in_slices_is_the_whole_list(tmp_path: Path) -> None:
    words = {f"word{i}": i for i in range(20_000)} | {"naïve": 3, 'say "hi"': 1}
    lines = ",\n".join(f"{json.dumps(w)}: {n}" for w, n in words.items())
    own = tmp_path / "mine.json.gz"
    own.write_bytes(gzip.compress(("{\n" + lines + "\n}\n").encode()))
    assert read_words(str(own)) == words  # (20,000 entries: several slices)
    compact = tmp_path / "compact.json"
    compact.write_text(json.dumps({"Hello": 2, "world": 1}))
    assert read_words(str(compact)) == {"hello": 2, "world": 1}
