"""`quillpen spell FILE [--json]`, run as a user runs it (subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tui.store import personal_words


def spell(*args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", "spell", *args],
        capture_output=True,
        text=True,
        input=input,
        env=dict(os.environ),
        timeout=120,
    )


def test_json_lists_unknown_words_with_line_column_and_suggestions(tmp_path: Path) -> None:
    draft = tmp_path / "draft.md"
    draft.write_text("The wrold is wide.\n我用中文写 and Zorblax said so.\n", encoding="utf-8")
    personal_words.add("Zorblax")  # the writer's own word (the same data folder)
    result = spell(str(draft), "--json")
    assert result.returncode == 1, result.stderr
    found = json.loads(result.stdout)
    assert found == [
        {"line": 1, "column": 5, "word": "wrold", "suggestions": found[0]["suggestions"]}
    ]
    assert found[0]["suggestions"][0] == "world"


def test_text_output_and_a_clean_text(tmp_path: Path) -> None:
    result = spell("-", input="Teh cat sat.\n")
    assert result.returncode == 1
    assert result.stdout.startswith("-:1:1: Teh (The,")
    clean = spell("-", input="The cat sat on the mat.\n")
    assert clean.returncode == 0 and clean.stdout == ""


def test_a_bad_dictionary_or_file_is_one_clear_line(tmp_path: Path) -> None:
    text = tmp_path / "t.txt"
    text.write_text("hello\n")
    for result in (spell(str(text), "--language", "xx"), spell(str(tmp_path / "missing.txt"))):
        assert result.returncode == 2
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
