"""New forms (ballad, blank verse, villanelle), elisions that give a range, and JSON that names
the system and the reading used."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tui import cli, poetry

DATA = Path(__file__).resolve().parents[2] / "data" / "poems"
VILLANELLE = (DATA / "robinson_house_on_the_hill.txt").read_text("utf-8")  # E. A. Robinson, 1894
MILTON = (DATA / "milton_paradise_lost.txt").read_text("utf-8")  # Paradise Lost, 1667


def test_villanelle_checks_its_refrains_and_two_rhymes() -> None:
    report = poetry.check(VILLANELLE, "villanelle")
    assert report.ok, [(r.number, r.why) for r in report.flagged]
    assert "".join(r.rhyme or "" for r in report.lines) == "ABA" * 5 + "ABAA"
    broken = VILLANELLE.replace(
        "They are all gone away,\n\nAnd", "They have all gone astray,\n\nAnd"
    )
    report = poetry.check(broken, "villanelle")
    assert [r.number for r in report.flagged] == [12]
    assert "should repeat line 1" in report.lines[11].why


def test_blank_verse_is_unrhymed_iambic_pentameter() -> None:
    report = poetry.check(MILTON, "blank")
    assert report.ok, [(r.number, r.why) for r in report.flagged]
    assert all(r.meter == "iambic pentameter" for r in report.lines)
    assert "anapestic substitution" in " ".join(report.lines[0].deviations)
    trochees = "Happy children running, sunlight shines\n" * 2
    assert not poetry.check(trochees, "blank").ok


def test_ballad_counts_beats_4_3_4_3() -> None:
    stanza = (
        "Because I could not stop for Death –\nHe kindly stopped for me –\n"
        "The Carriage held but just Ourselves –\nAnd Immortality.\n"
    )
    report = poetry.check(stanza, "ballad")
    assert report.ok
    assert [r.meter for r in report.lines] == [
        "iambic tetrameter",
        "iambic trimeter",
        "iambic tetrameter",
        "iambic trimeter",
    ]
    assert any("slant rhyme" in n for n in report.lines[3].notes)  # me / Immortality
    long = stanza.replace("He kindly stopped for me", "He kindly stopped his carriage there for me")
    bad = poetry.check(long, "ballad")
    assert [r.number for r in bad.flagged] == [2]
    assert not poetry.check(stanza + "One more line\n", "ballad").ok  # stanzas of 4


def test_accented_ed_counts_and_elisions_give_a_range() -> None:
    assert poetry.word_info("fixèd").syllables == 2
    assert poetry.word_info("fixed").syllables == 1
    for word, short in (("heaven", 1), ("even", 1), ("flower", 1), ("power", 1), ("every", 2)):
        options = {len(o) for o in poetry.word_info(word).options}
        assert short in options and short + 1 in options, word
    assert poetry.word_info("wandering").options[0] == "100"
    assert poetry.word_info("wand'ring").syllables == 2  # written elided: not estimated
    line = poetry.line_info("The flower of heaven wandering by")
    assert (line.low, line.high) == (7, 10)


def test_a_line_fits_when_one_reading_fits_and_says_which() -> None:
    text = "\n".join(["So long as men can breathe or eyes can see,"] * 13)
    text += "\nBut bears it out even to the edge of doom.\n"
    report = poetry.check(text, "sonnet")
    last = report.lines[-1]
    assert last.syllables == 10 and (last.low, last.high) == (10, 11)
    assert "even as 1 syllable (elided)" in last.notes


def test_json_names_the_system_and_the_reading(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tui.cli.poem import cmd_poem

    poem = tmp_path / "milton.txt"
    poem.write_text(MILTON, encoding="utf-8")
    args = cli.tool_parser().parse_args(["poem", "check", str(poem), "--form", "blank", "--json"])
    assert cmd_poem(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["system"].startswith("CMU")
    first = data["lines"][0]
    assert first["meter"] == "iambic pentameter" and first["scansion"] == "x/x/x/xx/x/"
    assert first["range"] == [11, 11] and "deviations" in first
    zh = tmp_path / "cw.txt"
    zh.write_text("国破山河在，城春草木深。\n", encoding="utf-8")
    args = cli.tool_parser().parse_args(
        ["poem", "syllables", str(zh), "--json", "--rules", "xinyun"]
    )
    assert cmd_poem(args) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["system"] == "xinyun" and rows[0]["stress"].startswith("平仄")  # 国 guo2


def test_an_english_form_on_chinese_text_says_so_once() -> None:
    report = poetry.check("床前明月光，疑是地上霜。\n举头望明月，低头思故乡。\n", "sonnet")
    assert not report.ok and not report.lines
    assert report.problems == (
        "this text is Chinese: a sonnet expects English "
        "(the Chinese forms are jueju5, jueju7, lushi5, lushi7)",
    )
