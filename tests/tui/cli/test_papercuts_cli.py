"""The command line as a new user meets it: typos of a command, --help, files not in UTF-8, a
form in the wrong language. Run as a user runs it (subprocess), errors one plain line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tui.cli.test_cli import assert_clean_error, quillpen
from tui.cli import SUBCOMMANDS
from tui.cli.common import near_miss


def test_a_typo_of_a_command_asks_did_you_mean(tmp_path: Path) -> None:
    result = quillpen("generat")
    assert result.returncode == 2
    assert_clean_error(result, "did you mean 'generate'?")
    assert not (tmp_path / "generat").exists()


def test_near_misses_are_typos_and_names_like_story_are_files() -> None:
    assert near_miss("exprot", SUBCOMMANDS) == "export"
    assert near_miss("modles", SUBCOMMANDS) == "models"
    for name in ("story", "scores.md", "notes", "poetry", "./generat", "draft"):
        assert near_miss(name, SUBCOMMANDS) is None, name


def test_an_existing_file_named_like_a_typo_opens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui.cli import main

    (tmp_path / "generat").write_text("x")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as done:  # (--version: the app's parser, not the app)
        main(["generat", "--version"])
    assert done.value.code == 0


def test_help_lists_every_command() -> None:
    result = quillpen("--help")
    assert result.returncode == 0
    listed = result.stdout.split("commands", 1)[1]
    for command in SUBCOMMANDS:
        assert f"  {command} " in listed


def test_export_and_poem_check_of_a_latin1_file(tmp_path: Path) -> None:
    path = tmp_path / "old.txt"
    path.write_bytes(
        "An old silent pond\nA frog jumps into the pond\nsplash! Silence again\n café".encode(
            "latin-1"
        )
    )
    assert_clean_error(quillpen("export", str(path)), "not UTF-8", "--encoding latin-1")
    assert_clean_error(
        quillpen("poem", "check", "--form", "haiku", str(path)), "not UTF-8", "--encoding"
    )
    exported = quillpen("export", str(path), "--encoding", "latin-1")
    assert exported.returncode == 0 and exported.stdout.endswith(" café")
    checked = quillpen("poem", "check", "--form", "haiku", str(path), "--encoding", "latin-1")
    assert checked.returncode in (0, 1) and "Traceback" not in checked.stderr
    assert "pond" in checked.stdout
    bad = quillpen("export", str(path), "--encoding", "klingon")
    assert bad.returncode == 2 and "unknown encoding 'klingon'" in bad.stderr


def test_an_english_form_on_chinese_says_so_once(tmp_path: Path) -> None:
    path = tmp_path / "jingye.txt"
    path.write_text("床前明月光\n疑是地上霜\n举头望明月\n低头思故乡\n")
    result = quillpen("poem", "check", "--form", "sonnet", str(path))
    assert result.returncode == 1
    assert_clean_error(result, "sonnet", "expects English", "Chinese")
    assert result.stdout == ""
