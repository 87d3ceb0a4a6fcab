"""Poem tools (tui.poetry): syllables, stress, rhymes, form checks, Chinese 绝句/律诗, the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tui import cli, poetry
from tui.poetry import chinese, pronounce

ROOT = Path(__file__).resolve().parents[3]

HAIKU = "An old silent pond\nA frog jumps into the pond—\nSplash! Silence again.\n"
HAIKU_585 = "An old silent pond\nA frog jumps into the deep pond—\nSplash! Silence again.\n"

LIMERICK = """There was an Old Man with a beard,
Who said, 'It is just as I feared!—
Two Owls and a Hen,
Four Larks and a Wren,
Have all built their nests in my beard!'
"""
# Line 2 no longer rhymes, line 4 neither, line 1 is too long.
LIMERICK_BROKEN = """There was an Old Man with a very long beard,
Who said, 'It is just as I thought!—
Two Owls and a Hen,
Four Larks and a dog,
Have all built their nests in my beard!'
"""

SONNET_18 = """Shall I compare thee to a summer's day?
Thou art more lovely and more temperate:
Rough winds do shake the darling buds of May,
And summer's lease hath all too short a date;
Sometime too hot the eye of heaven shines,
And often is his gold complexion dimm'd;
And every fair from fair sometime declines,
By chance or nature's changing course untrimm'd;
But thy eternal summer shall not fade,
Nor lose possession of that fair thou ow'st;
Nor shall Death brag thou wander'st in his shade,
When in eternal lines to time thou grow'st:
   So long as men can breathe or eyes can see,
   So long lives this, and this gives life to thee.
"""

QUATRAIN = """The curfew tolls the knell of parting day,
The lowing herd wind slowly o'er the lea,
The plowman homeward plods his weary way,
And leaves the world to darkness and to me.
"""

JINGYESI = "床前明月光，疑是地上霜。\n举头望明月，低头思故乡。\n"
ZAOFA = "朝辞白帝彩云间，千里江陵一日还。\n两岸猿声啼不住，轻舟已过万重山。\n"


def flagged(report: poetry.PoemReport) -> list[int]:
    return [line.number for line in report.flagged]


# --- data ---------------------------------------------------------------------------------


def test_data_ships_with_its_licences() -> None:
    data = Path(pronounce.__file__).parent / "data"
    for name in ("cmudict.dict.gz", "LICENSE.cmudict", "common-words.txt.gz", "LICENSE.scowl"):
        assert (data / name).is_file(), name
    assert "Carnegie Mellon" in (data / "LICENSE.cmudict").read_text()


def test_dictionary_loads_fast_and_once() -> None:
    pronounce.cmudict.cache_clear()
    start = time.perf_counter()
    entries = pronounce.cmudict()
    took = time.perf_counter() - start
    assert len(entries) > 130_000
    assert took < 2.0, f"loading the CMU dictionary took {took:.2f} s"
    assert pronounce.cmudict() is entries  # parsed once, kept in memory


# --- English words ------------------------------------------------------------------------


def test_orange_has_two_syllables() -> None:
    info = poetry.word_info("orange")
    assert (info.syllables, info.stress, info.estimated) == (2, "10", False)
    assert poetry.line_info("orange").syllables == 2


def test_line_info_gives_count_and_stress() -> None:
    info = poetry.line_info("Shall I compare thee to a summer's day?")
    assert info.syllables == 10
    assert len(info.stress) == 10 and set(info.stress) <= set("012")
    assert info.stress[2:4] == "01"  # com-PARE
    assert not info.estimated and info.language == "en"


def test_unknown_words_are_estimated_and_say_so() -> None:
    word = poetry.word_info("flibbertigibbet")
    assert word.estimated and word.syllables == 5
    line = poetry.line_info("the flibbertigibbet sang")
    assert line.estimated and line.unknown == ("flibbertigibbet",)
    assert line.syllables == 7
    report = poetry.check(
        "the flibbertigibbet\nsang on a branch today\nin the morning sun", "haiku"
    )
    first = report.lines[0]
    assert first.estimated
    assert any("estimated" in note and "flibbertigibbet" in note for note in first.notes)


def test_poets_elisions_are_read() -> None:
    assert poetry.word_info("dimm'd").syllables == 1  # the dictionary's "dimmed"
    assert not poetry.word_info("summer’s").estimated  # curly apostrophe
    assert poetry.rhyme_kind("dimm'd", "untrimm'd") == "perfect"  # by "trimmed"


# --- rhymes -------------------------------------------------------------------------------


def test_rhymes_for_night_include_light() -> None:
    found = poetry.rhymes("night", 50)
    assert "light" in found
    assert "knight" not in found  # a homophone is no rhyme
    assert "night" not in found


def test_rhymes_put_perfect_and_common_first() -> None:
    found = poetry.find_rhymes("night", 0)
    kinds = [r.kind for r in found]
    first_near = kinds.index("near")
    assert set(kinds[:first_near]) == {"perfect"}
    words = [r.word for r in found]
    assert words.index("light") < words.index("bight")  # common before rare
    assert all(len(w) > 1 for w in words[:50])


def test_orange_has_only_near_rhymes() -> None:
    found = poetry.find_rhymes("orange", 10)
    assert found and {r.kind for r in found} == {"near"}


def test_rhyme_kinds() -> None:
    assert poetry.rhyme_kind("day", "May") == "perfect"
    assert poetry.rhyme_kind("night", "knight") == "identical"
    assert poetry.rhyme_kind("love", "prove") == "slant"
    assert poetry.rhyme_kind("ow'st", "grow'st") == "spelling"
    assert poetry.rhyme_kind("day", "cold") is None


# --- English forms ------------------------------------------------------------------------


def test_classic_haiku_passes() -> None:
    report = poetry.check(HAIKU, "haiku")
    assert report.ok, report.as_json()
    assert [line.syllables for line in report.lines] == [5, 7, 5]


def test_585_haiku_fails_naming_the_line() -> None:
    report = poetry.check(HAIKU_585, "haiku")
    assert not report.ok
    assert flagged(report) == [2]
    assert "8 syllables" in report.lines[1].why and "7" in report.lines[1].why


def test_haiku_with_a_missing_line_fails() -> None:
    report = poetry.check("An old silent pond\nA frog jumps into the pond—\n", "haiku")
    assert not report.ok and report.problems == ("a haiku has 3 lines; this has 2",)


def test_limerick_passes() -> None:
    report = poetry.check(LIMERICK, "limerick")
    assert report.ok, report.as_json()
    assert [line.rhyme for line in report.lines] == list("AABBA")


def test_broken_limerick_fails_naming_the_lines() -> None:
    report = poetry.check(LIMERICK_BROKEN, "limerick")
    assert flagged(report) == [1, 2, 4]
    assert "syllables" in report.lines[0].why
    assert '"thought" does not rhyme with "beard"' in report.lines[1].why
    assert '"dog"' in report.lines[3].why


def test_quatrain() -> None:
    assert poetry.check(QUATRAIN, "quatrain").ok
    swapped = QUATRAIN.replace("weary way", "weary road")
    assert flagged(poetry.check(swapped, "quatrain")) == [3]


def test_sonnet_18_passes_tolerantly() -> None:
    report = poetry.check(SONNET_18, "sonnet")
    assert report.ok, [(line.number, line.why) for line in report.flagged]
    assert all(9 <= line.syllables <= 11 for line in report.lines)
    assert "".join(line.rhyme or "" for line in report.lines) == "ABABCDCDEFEFGG"
    notes = " ".join(n for line in report.lines for n in line.notes)
    assert "slant rhyme" in notes  # temperate / date
    assert "estimated" in notes  # untrimm'd, ow'st…


def test_sonnet_flags_a_line_that_does_not_scan() -> None:
    lines = SONNET_18.splitlines()
    lines[4] = "Happy children running, sunlight shines"  # trochaic
    lines[8] = "But thy summer shall not fade"  # too short
    report = poetry.check("\n".join(lines), "sonnet")
    assert flagged(report) == [5, 9]
    assert "not iambic" in report.lines[4].why
    assert "syllables" in report.lines[8].why
    assert poetry.check("\n".join(lines[:13]), "sonnet").problems


# --- Chinese ------------------------------------------------------------------------------


def test_jingyesi_passes_wuyan_jueju_with_a_tone_pattern() -> None:
    report = poetry.check(JINGYESI, "jueju5")
    assert report.ok, report.as_json()
    assert report.language == "zh"
    assert [line.text for line in report.lines] == [
        "床前明月光",
        "疑是地上霜",
        "举头望明月",
        "低头思故乡",
    ]
    assert [line.syllables for line in report.lines] == [5, 5, 5, 5]
    assert report.lines[0].stress == "平平平仄平"
    assert all(len(line.stress) == 5 and set(line.stress) <= {"平", "仄"} for line in report.lines)
    assert report.lines[1].rhyme == report.lines[3].rhyme == "十唐"


def test_a_six_character_line_fails_naming_the_line() -> None:
    text = "床前明月光\n疑是地上有霜\n举头望明月\n低头思故乡\n"
    report = poetry.check(text, "jueju5")
    assert flagged(report) == [2]
    assert "6 characters" in report.lines[1].why and "5" in report.lines[1].why


def test_qiyan_jueju_reads_a_polyphonic_rhyme() -> None:
    report = poetry.check(ZAOFA, "jueju7")
    assert report.ok, report.as_json()
    assert any("还 read as huan2" in note for note in report.lines[1].notes)


def test_a_line_off_the_rhyme_fails() -> None:
    report = poetry.check(JINGYESI.replace("故乡", "故人"), "jueju5")
    assert flagged(report) == [4]
    assert "does not rhyme" in report.lines[3].why and "十唐" in report.lines[3].why


def test_lushi_needs_eight_lines() -> None:
    report = poetry.check(JINGYESI, "lushi5")
    assert report.problems and "8" in report.problems[0]


def test_chinese_line_info_and_rhymes() -> None:
    info = poetry.line_info("床前明月光")
    assert (info.language, info.syllables, info.stress) == ("zh", 5, "平平平仄平")
    found = poetry.rhymes("光", 60)
    assert "霜" in found and "光" not in found
    assert all(chinese.syllables(c)[0].group == "十唐" for c in found)
    assert poetry.detect_language(JINGYESI) == "zh"
    assert poetry.detect_language(HAIKU) == "en"


def test_ping_ze_from_tones() -> None:
    assert chinese.tone_pattern("天地人") == "平仄平"  # tian1 di4 ren2
    assert chinese.tone_pattern("东西") == "平平"  # 西 read alone, not neutral


# --- CLI ----------------------------------------------------------------------------------


def run_poem(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    args = cli.tool_parser().parse_args(["poem", *argv])
    from tui.cli.poem import cmd_poem

    code = cmd_poem(args)
    return code, capsys.readouterr().out


def test_cli_check_json_shape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    poem = tmp_path / "haiku.txt"
    poem.write_text(HAIKU_585, encoding="utf-8")
    code, out = run_poem(capsys, "check", str(poem), "--form", "haiku", "--json")
    assert code == 1
    data = json.loads(out)
    assert data["form"] == "haiku" and data["ok"] is False
    keys = {"line", "syllables", "stress", "rhyme", "ok", "why"}
    assert all(keys <= set(line) for line in data["lines"])
    assert [line["ok"] for line in data["lines"]] == [True, False, True]
    assert data["lines"][1]["line"] == 2 and data["lines"][1]["syllables"] == 8


def test_cli_check_chinese_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    poem = tmp_path / "jys.txt"
    poem.write_text(JINGYESI, encoding="utf-8")
    code, out = run_poem(capsys, "check", str(poem), "--form", "jueju5", "--json")
    assert code == 0
    first = json.loads(out)["lines"][0]
    assert first["syllables"] == 5 and first["stress"] == "平平平仄平"


def test_cli_text_table_names_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    poem = tmp_path / "haiku.txt"
    poem.write_text(HAIKU_585, encoding="utf-8")
    code, out = run_poem(capsys, "check", str(poem), "--form", "haiku")
    assert code == 1
    assert "8 syllables; line 2 of a haiku has 7" in out
    assert out.strip().endswith("does not fit the form: haiku (line 2)")


def test_cli_rhymes_and_syllables(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_poem(capsys, "rhymes", "night", "--limit", "30")
    assert code == 0 and "light" in out.splitlines() and len(out.splitlines()) == 30
    text = tmp_path / "lines.txt"
    text.write_text("orange\n\nthe flibbertigibbet\n", encoding="utf-8")
    code, out = run_poem(capsys, "syllables", str(text), "--json")
    rows = json.loads(out)
    assert code == 0 and [(r["line"], r["syllables"], r["estimated"]) for r in rows] == [
        (1, 2, False),
        (3, 6, True),
    ]


def test_cli_exit_codes_as_a_user_runs_it() -> None:
    def quillpen(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tui.cli", "poem", *args],
            cwd=ROOT,
            input=stdin,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=60,
        )

    good = quillpen("check", "-", "--form", "haiku", stdin=HAIKU)
    assert good.returncode == 0, good.stderr
    assert "fits the form" in good.stdout
    bad = quillpen("check", "-", "--form", "jueju5", "--json", stdin="床前明月光\n疑是地上有霜\n")
    assert bad.returncode == 1, bad.stderr
    assert json.loads(bad.stdout)["ok"] is False
    missing = quillpen("check", "/no/such/poem.txt", "--form", "haiku", stdin="")
    assert missing.returncode == 2 and "cannot read" in missing.stderr
    assert "Traceback" not in missing.stderr
