"""Keys sent in one write (as over a slow SSH link) act in the order they were typed.

Textual looks for an ordinary binding (Ctrl+Home, Down, End) only once its key has bubbled up
to the app, after the editor has typed the keys that followed it; the editor runs bindings as
their keys arrive (tui.key_order.run_binding_first).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.support.tmux import Tmux, needs_tmux

pytestmark = [pytest.mark.e2e, needs_tmux]

QUILLPEN = Path(sys.executable).with_name("quillpen")


@pytest.mark.parametrize(
    ("burst", "expected"),
    [
        (["C-Home", "z"], "zfirst\nsecond"),
        (["C-End", "!", "C-Home", "z"], "zfirst\nsecond!"),
        (["C-Home", "Down", "x"], "first\nxsecond"),
        (["Up", "End", "y"], "firsty\nsecond"),  # (the cursor starts at the end)
        (["M-s", "C-Home", "w"], "wfirst\nsecond"),
    ],
    ids=["ctrl-home", "end-then-home", "home-down", "up-end", "alt-s-home"],
)
def test_a_burst_keeps_its_order(
    tmux: Tmux, tmp_path: Path, burst: list[str], expected: str
) -> None:
    story = tmp_path / "order.md"
    story.write_text("first\nsecond")
    tmux.start(f"{QUILLPEN} {story}")
    tmux.wait_for(lambda s: "no model" in s and "first" in s)
    tmux.keys(*burst)  # one send-keys: one write to the terminal
    tmux.keys("C-s")
    tmux.wait_for(lambda s: "Saved" in s)
    assert story.read_text() == expected
