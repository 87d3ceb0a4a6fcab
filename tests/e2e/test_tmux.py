"""End to end: the installed `quillpen` in a real terminal (tmux), keys typed like a user."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.support.tmux import Tmux, needs_tmux

pytestmark = [pytest.mark.e2e, needs_tmux]

QUILLPEN = Path(sys.executable).with_name("quillpen")


def test_type_continue_stop_save(tmux: Tmux, tmp_path: Path, tiny_gguf: Path) -> None:
    assert QUILLPEN.exists(), "the console script is installed in the venv"
    story = tmp_path / "story.md"
    tmux.start(f"{QUILLPEN} {story} --model {tiny_gguf}")
    tmux.wait_for(lambda s: "ready" in s)
    tmux.type("The lighthouse keeper")
    tmux.wait_for(lambda s: "The lighthouse keeper" in s)
    tmux.keys("Tab")
    grown = tmux.wait_for(lambda s: "generating" in s or _words(s) > 3, timeout=20)
    assert grown
    tmux.keys("Escape")
    tmux.wait_for(lambda s: "ready" in s)
    tmux.keys("C-s")
    tmux.wait_for(lambda s: "Saved" in s)
    saved = story.read_text()
    assert saved.startswith("The lighthouse keeper")
    assert len(saved) > len("The lighthouse keeper")
    tmux.keys("C-q")
    assert tmux.wait_exit() == 0


def _words(screen: str) -> int:
    for line in screen.splitlines():
        if " words" in line:
            try:
                return int(line.rsplit("│", 1)[-1].split()[0].replace(",", ""))
            except (ValueError, IndexError):
                return 0
    return 0


def test_alt_arrows_and_ctrl_t_reach_the_branch_tree(
    tmux: Tmux, tmp_path: Path, tiny_gguf: Path
) -> None:
    """Alt+arrows arrive through tmux as keys of their own (not Esc then an arrow)."""
    tmux.start(f"{QUILLPEN} {tmp_path / 'b.md'} --model {tiny_gguf}")
    tmux.wait_for(lambda s: "ready" in s)
    tmux.type("Once")
    tmux.wait_for(lambda s: "Once" in s)
    tmux.keys("Tab")
    tmux.wait_for(lambda s: _words(s) > 1 and "ready" in s, timeout=20)
    tmux.keys("C-z")
    tmux.wait_for(lambda s: _words(s) == 1)
    tmux.keys("Tab")
    tmux.wait_for(lambda s: "branch 2 of 2" in s, timeout=20)
    tmux.keys("M-Left")
    tmux.wait_for(lambda s: "branch 1 of 2" in s)
    tmux.keys("M-Up")
    tmux.wait_for(lambda s: "2 below" in s and _words(s) == 1)
    tmux.keys("C-t")
    tmux.wait_for(lambda s: "Branch tree" in s and "◀ here" in s)
    tmux.keys("Escape")
    tmux.wait_for(lambda s: "Branch tree" not in s)
