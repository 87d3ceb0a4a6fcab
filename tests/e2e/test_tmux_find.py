"""End to end: find, replace and go to line through a real terminal (tmux), default keys."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.support.tmux import Tmux, needs_tmux

pytestmark = [pytest.mark.e2e, needs_tmux]

QUILLPEN = Path(sys.executable).with_name("quillpen")


def _bar(screen: str) -> str:
    """The find bar's first row (just above the status bar), stripped; "" when it is closed."""
    rows = [row.strip() for row in screen.splitlines()[-5:]]
    return next((row for row in rows if row.startswith(("Find", "Go to"))), "")


def _story(tmp_path: Path) -> Path:
    lines = [f"Line {n}: the keeper trimmed the lamp." for n in range(1, 61)]
    lines[39] = "Line 40: the harbour bell rang twice."
    path = tmp_path / "story.md"
    path.write_text("# Lamps\n\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_find_replace_and_go_to_line_with_the_default_keys(
    tmux: Tmux, tmp_path: Path, tiny_gguf: Path
) -> None:
    story = _story(tmp_path)
    tmux.start(f"{QUILLPEN} {story} --model {tiny_gguf}")  # (no "no model" notice over the bar)
    tmux.wait_for(lambda s: "Line 60" in s and "ready" in s)
    tmux.keys("C-g")
    tmux.wait_for(lambda s: "Go to" in s)
    tmux.type("42")
    tmux.keys("Enter")
    tmux.wait_for(lambda s: "Line 42:" in s and "Line 60" not in s and "Go to" not in s)

    tmux.keys("C-f")
    tmux.wait_for(lambda s: _bar(s).startswith("Find"))
    tmux.type("harbour")
    screen = tmux.wait_for(lambda s: "harbour" in _bar(s) and "1 of 1" in _bar(s))
    assert "Line 40: the harbour bell" in screen
    tmux.keys(*["BSpace"] * 7)
    tmux.wait_for(lambda s: "text to find" in _bar(s))
    tmux.type("lamp")
    tmux.wait_for(lambda s: " of 60" in s)  # "Lamps" and 59 lamps: case does not count
    tmux.keys("C-t")
    tmux.wait_for(lambda s: " of 59" in s)
    tmux.keys("Down")
    tmux.wait_for(lambda s: "2 of 59" in s or "1 of 59" in s)

    tmux.keys("C-\\")  # the Replace field, under the pattern found so far
    tmux.wait_for(lambda s: "Replace" in s)
    tmux.type("candle")
    tmux.keys("C-y")
    tmux.wait_for(lambda s: "Replaced 59" in _bar(s))
    tmux.keys("Escape")
    tmux.wait_for(lambda s: not _bar(s).startswith("Find"))
    tmux.keys("C-z")  # one undo step puts every lamp back
    tmux.wait_for(lambda s: "the lamp." in s and "candle" not in s)
    tmux.keys("C-y")
    tmux.wait_for(lambda s: "candle" in s)
    tmux.keys("C-s")
    tmux.wait_for(lambda s: "Saved" in s)
    text = story.read_text(encoding="utf-8")
    assert text.count("candle") == 59 and "lamp" not in text and text.startswith("# Lamps")
    tmux.keys("C-q")
    assert tmux.wait_exit() == 0


def test_file_colon_line_opens_there(tmux: Tmux, tmp_path: Path) -> None:
    story = _story(tmp_path)
    tmux.start(f"{QUILLPEN} {story}:12")
    tmux.wait_for(lambda s: "Line 10:" in s and "Line 60" not in s)
    tmux.type("X")
    tmux.wait_for(lambda s: "XLine 10:" in s)  # line 12 of the file (after the title)
    tmux.keys("C-q")
    tmux.wait_for(lambda s: "Save" in s or "Discard" in s)
