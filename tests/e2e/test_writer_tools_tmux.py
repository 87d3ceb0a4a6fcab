"""The writing tools through a real terminal (tmux 80×24), with their default keys: F10's
spelling suggestions, the goal in the status bar, and Ctrl+O's recent files."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.support.tmux import Tmux, needs_tmux

pytestmark = [pytest.mark.e2e, needs_tmux]

QUILLPEN = Path(sys.executable).with_name("quillpen")


def test_f10_fixes_a_word_and_ctrl_o_lists_recent_files(
    tmux: Tmux, tmp_path: Path, user_dirs: dict[str, Path]
) -> None:
    config = user_dirs["config"] / "quillpen"
    config.mkdir(parents=True, exist_ok=True)
    (config / "config.toml").write_text("goal = 50\n")
    story = tmp_path / "story.md"
    story.write_text("The keeper climbed the stairs.\n")
    tmux.start(f"{QUILLPEN} {story}")
    tmux.wait_for(lambda s: "0 / 50 today" in s)
    tmux.type("A wrold of fog")
    tmux.wait_for(lambda s: "4 / 50 today" in s)
    tmux.keys("F10")  # the word before the cursor is not at it: F10 goes round to it
    tmux.wait_for(lambda s: '"wrold" is not in the dictionary' in s, timeout=20)
    tmux.keys("Enter")  # the first suggestion: world
    tmux.wait_for(lambda s: "A world of fog" in s)
    tmux.keys("C-s")
    tmux.wait_for(lambda s: "Saved" in s)
    assert story.read_text() == "The keeper climbed the stairs.\nA world of fog"
    tmux.keys("C-o")
    tmux.wait_for(lambda s: "Recent files" in s and "story.md" in s)
    tmux.keys("Escape")
    tmux.keys("C-q")
    assert tmux.wait_exit() == 0
