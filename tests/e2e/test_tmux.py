"""End to end: the installed `quillpen` in a real terminal (tmux), keys typed like a user."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from tmux import Tmux, needs_tmux

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
