"""Rhyme lists a poet can trust: the best-known perfect rhymes near the top, kinds named,
names and dictionary oddities left out unless asked for."""

from __future__ import annotations

import pytest

from tui import poetry
from tui.poetry import pronounce


@pytest.mark.parametrize(
    ("word", "wanted"),
    [
        ("rain", ("train", "brain", "pain", "plain")),
        ("right", ("bright", "light", "night", "sight")),
        ("love", ("glove", "above", "dove")),
        ("time", ("rhyme", "climb", "crime", "prime")),
        ("day", ("way", "say", "play", "stay")),
    ],
)
def test_best_known_perfect_rhymes_are_in_the_top_20(word: str, wanted: tuple[str, ...]) -> None:
    top = poetry.find_rhymes(word, 20)
    words = [r.word for r in top]
    for w in wanted:
        assert w in words, (w, words)
    kinds = [r.kind for r in top]
    first_other = next((i for i, k in enumerate(kinds) if k != "perfect"), len(kinds))
    assert "perfect" not in kinds[first_other:]  # perfect rhymes first


def test_onsets_are_compared_whole() -> None:
    assert poetry.rhyme_kind("rain", "train") == "perfect"  # tr- / r-
    assert poetry.rhyme_kind("love", "glove") == "perfect"  # gl- / l-
    assert poetry.rhyme_kind("light", "delight") == "identical"
    assert poetry.rhyme_kind("night", "knight") == "identical"


def test_kinds_are_named() -> None:
    assert poetry.rhyme_kind("love", "prove") == "slant"  # consonance
    assert poetry.rhyme_kind("room", "storm") == "slant"
    assert poetry.rhyme_kind("eternity", "see") == "slant"  # a light rhyme
    assert poetry.rhyme_kind("cat", "bad") == "assonance"
    assert poetry.rhyme_kind("death", "ourselves") == "assonance"
    assert poetry.rhyme_kind("cough", "bough") == "eye"
    assert poetry.rhyme_kind("question", "fortune") is None  # only an unstressed syllable


def test_names_and_oddities_only_when_asked() -> None:
    plain = [r.word for r in poetry.find_rhymes("time", 0)]
    assert "thyme" not in plain  # said "time": a homophone, not a rhyme
    assert "sondheim" not in plain and "waldheim" not in plain
    rare = [r.word for r in poetry.find_rhymes("time", 0, rare=True)]
    assert "sondheim" in rare
    assert rare.index("sondheim") > rare.index("rhyme")
    assert pronounce.frequency("sondheim") is None and pronounce.frequency("glove")


def test_rhymes_rank_by_frequency() -> None:
    found = poetry.find_rhymes("rain", 0)
    words, kinds = [r.word for r in found], [r.kind for r in found]
    assert words.index("train") < words.index("arcane")
    zipf = [
        pronounce.frequency(w) or 0 for w, k in zip(words, kinds, strict=True) if k == "perfect"
    ]
    assert zipf[:20] == sorted(zipf[:20], reverse=True)  # the usual pronunciations: by use
    assert min(zipf[:10]) >= 45  # Zipf 4.5 and more: main, pain, train…


def test_new_data_ships_with_its_licences() -> None:
    from pathlib import Path

    data = Path(pronounce.__file__).parent / "data"
    assert "Attribution-ShareAlike 4.0" in (data / "LICENSE.wordfreq").read_text()
    assert "MIT License" in (data / "LICENSE.pingshui").read_text()
    assert (data / "word-freq.txt.gz").is_file()
    assert "下平\t十二侵\t" in (data / "pingshui.txt").read_text("utf-8")
