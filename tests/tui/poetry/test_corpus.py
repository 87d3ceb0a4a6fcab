"""The poem tools against a corpus of public-domain poems with accepted readings.

tests/data/poems/*.json hold each poem's lines with their accepted syllable counts, scansion
(x slack, / beat, a promoted beat marked /) and rhyme letters, or for Chinese their 平仄 and
rhyme groups under the system named, and the form's verdict. Poems that must fail name the
lines that break and a word of the reason. Agreement is checked line by line against floors:
the test fails if the tools get worse.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tui import poetry

CORPUS = Path(__file__).resolve().parents[2] / "data" / "poems"
#: Floors on agreement with the accepted readings. Measured: counts 83/83 lines, scansion
#: 473/486 syllables (0.973), 平仄 100%.
COUNT_FLOOR = 1.0
SCANSION_FLOOR = 0.95
PINGZE_FLOOR = 1.0


def poems() -> list[tuple[str, dict[str, Any]]]:
    return [(p.stem, json.loads(p.read_text("utf-8"))) for p in sorted(CORPUS.glob("*.json"))]


def text_of(poem: dict[str, Any]) -> str:
    return "\n".join(line["text"] for line in poem["lines"]) + "\n"


def check(poem: dict[str, Any]) -> poetry.PoemReport:
    return poetry.check(text_of(poem), poem["form"], rules=poem.get("rules"))


@pytest.mark.parametrize(("name", "poem"), poems(), ids=[name for name, _ in poems()])
def test_verdict_and_the_lines_that_break(name: str, poem: dict[str, Any]) -> None:
    report = check(poem)
    assert report.ok == poem["ok"], (name, [(r.number, r.why) for r in report.lines if r.why])
    for number, reason in poem.get("fails", []):
        line = report.lines[number - 1]
        assert not line.ok and reason in line.why, (name, number, line.why)
    if poem["ok"]:
        assert not report.flagged


def english() -> list[tuple[str, dict[str, Any]]]:
    return [(n, p) for n, p in poems() if "rules" not in p]


def test_syllable_counts_agree_with_the_accepted_ones() -> None:
    agree = total = 0
    wrong = []
    for name, poem in english():
        for expected, got in zip(poem["lines"], check(poem).lines, strict=True):
            total += 1
            if expected["syllables"] == got.syllables:
                agree += 1
            else:
                wrong.append((name, got.text, got.syllables, expected["syllables"]))
    assert total >= 60
    assert agree / total >= COUNT_FLOOR, (f"{agree}/{total}", wrong)


def test_scansion_agrees_with_the_accepted_one() -> None:
    agree = total = 0
    for _, poem in english():
        if not poem["ok"]:
            continue
        for expected, got in zip(poem["lines"], check(poem).lines, strict=True):
            want = expected["scansion"]
            total += len(want)
            if len(got.scansion) == len(want):
                agree += sum(a == b for a, b in zip(got.scansion, want, strict=True))
    assert agree / total >= SCANSION_FLOOR, f"{agree}/{total} syllables = {agree / total:.3f}"


def test_rhyme_schemes_and_meters_are_named() -> None:
    for name, poem in english():
        report = check(poem)
        letters = "".join(r.rhyme or "" for r in report.lines)
        assert letters == "".join(line["rhyme"] for line in poem["lines"]), name
        if poem["ok"]:
            foot = {"sonnet": "iambic", "ballad": "iambic", "limerick": "anapestic"}
            foot |= {"quatrain": "iambic"}
            assert all(r.meter.startswith(foot[poem["form"]]) for r in report.lines), name


def test_ping_ze_and_rhyme_groups_agree_under_the_system_named() -> None:
    agree = total = 0
    for name, poem in poems():
        if "rules" not in poem:
            continue
        report = check(poem)
        assert report.system.startswith("平水韵" if poem["rules"] == "pingshui" else "中华新韵")
        for expected, got in zip(poem["lines"], report.lines, strict=True):
            total += len(expected["pingze"])
            agree += sum(a == b for a, b in zip(got.stress, expected["pingze"], strict=True))
            if expected["rhyme"]:
                assert got.rhyme == expected["rhyme"], (name, got.text, got.rhyme)
    assert agree / total >= PINGZE_FLOOR, f"{agree}/{total}"


def test_loose_accepts_assonance_and_says_so() -> None:
    poem = dict(poems())["limerick_assonance"]
    report = poetry.check(text_of(poem), "limerick", loose=True)
    assert report.ok and "loose" in " ".join(report.notes)
    assert any("assonance rhyme" in note for note in report.lines[3].notes)


def test_spring_view_names_its_couplets_for_duizhang() -> None:
    report = check(dict(poems())["chunwang"])
    hints = [n for r in report.lines for n in r.notes if n.startswith("对仗")]
    assert len(hints) == 2 and "花/鸟" in hints[0] and "hint" in hints[0]
