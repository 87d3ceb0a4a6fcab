"""Find and replace without the UI: patterns, hits, replacements, marks, FILE:LINE."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.find import (
    FindOptions,
    compile_pattern,
    find_hits,
    find_text,
    parse_line_target,
    remap_ranges,
    replace_in_lines,
    split_file_line,
)


def test_options_case_word_and_regex() -> None:
    lines = ["Sea, sea! seashell", "a.b axb"]
    plain = compile_pattern("sea", FindOptions())
    assert not isinstance(plain, str)
    assert find_hits(lines, plain) == [(0, 0, 3), (0, 5, 8), (0, 10, 13)]
    case = compile_pattern("sea", FindOptions(case=True, word=True))
    assert not isinstance(case, str) and find_hits(lines, case) == [(0, 5, 8)]
    literal = compile_pattern("a.b", FindOptions())  # not a regex unless asked
    regex = compile_pattern("a.b", FindOptions(regex=True))
    assert not isinstance(literal, str) and not isinstance(regex, str)
    assert find_hits(lines, literal) == [(1, 0, 3)]
    assert find_hits(lines, regex) == [(1, 0, 3), (1, 4, 7)]


@pytest.mark.parametrize("query", ["se(a", "[a-", "*x", "a{2,1}"])
def test_a_bad_regex_is_a_reason(query: str) -> None:
    reason = compile_pattern(query, FindOptions(regex=True))
    assert isinstance(reason, str) and reason.startswith("Bad pattern")


def test_a_pattern_that_matches_nothing_at_all_is_refused() -> None:
    assert isinstance(compile_pattern("x*", FindOptions(regex=True)), str)


def test_chinese_hits_are_character_columns() -> None:
    pattern = compile_pattern("明月", FindOptions(word=True))
    assert not isinstance(pattern, str)
    assert find_hits(["床前明月光", "举头望明月"], pattern) == [(0, 2, 4), (1, 3, 5)]


@pytest.mark.parametrize(
    ("query", "options"),
    [
        ("sea", FindOptions()),
        ("Sea", FindOptions(word=True)),
        ("sea", FindOptions(case=True)),
        ("明月", FindOptions(word=True)),
        ("a", FindOptions()),
    ],
)
def test_the_fast_plain_search_finds_what_the_regex_finds(query: str, options: FindOptions) -> None:
    lines = ["Sea, sea! seashell", "", "床前明月光 sea", "举头望明月", "SEA sea-sea"]
    pattern = compile_pattern(query, options)
    assert not isinstance(pattern, str)
    assert find_text(lines, query, options) == find_hits(lines, pattern)


def test_the_fast_search_leaves_letters_whose_case_changes_length_to_the_regex() -> None:
    assert find_text(["İstanbul"], "stan", FindOptions()) is None


def test_replacements_and_where_they_land() -> None:
    pattern = compile_pattern(r"(\w)ea", FindOptions(regex=True))
    assert not isinstance(pattern, str)
    lines = ["sea tea", "none", "pea"]
    hits = find_hits(lines, pattern)
    out, done = replace_in_lines(lines, pattern, hits, r"\1oo", expand=True)
    assert out == ["soo too", "none", "poo"]
    assert done == [(0, 0, 3), (0, 4, 7), (2, 0, 3)]
    out, _ = replace_in_lines(lines, pattern, hits, r"\1!", expand=False)
    assert out == [r"\1! \1!", "none", r"\1!"]


def test_generated_ranges_lose_only_the_replaced_spans() -> None:
    # "AAA gen gen BBB": the model wrote [4, 11); both "gen" become "GENERATED" (9 chars)
    edits = [(4, 7, 9), (8, 11, 9)]
    assert remap_ranges([(4, 11)], edits) == [(13, 14)]  # only the space between stays
    assert remap_ranges([(0, 3), (12, 15)], edits) == [(0, 3), (24, 27)]
    assert remap_ranges([(2, 6)], [(4, 7, 1)]) == [(2, 4)]


def test_line_targets() -> None:
    assert parse_line_target("12", 100) == (11, 0)
    assert parse_line_target(" 12:5 ", 100) == (11, 4)
    assert parse_line_target("500", 100) == (99, 0)
    assert isinstance(parse_line_target("twelve", 100), str)
    assert isinstance(parse_line_target("0", 100), str)


def test_file_line_on_the_command_line(tmp_path: Path) -> None:
    story = tmp_path / "story.md"
    story.write_text("x\n")
    assert split_file_line(Path(f"{story}:12")) == (story, (11, 0))
    assert split_file_line(Path(f"{story}:12:3")) == (story, (11, 2))
    assert split_file_line(story) == (story, None)
    colon = tmp_path / "notes:2"  # a real file whose name ends like a line number
    colon.write_text("y\n")
    assert split_file_line(colon) == (colon, None)
    missing = tmp_path / "new.md:3"  # no such file either way: a new file of that name
    assert split_file_line(missing) == (missing, None)
