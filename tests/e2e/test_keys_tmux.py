"""Every default key arrives as itself through a real terminal (tmux), and Alt+S types nothing.

Terminals send many keys as something else: Ctrl+H as Backspace, Ctrl+I as Tab, Ctrl+M as
Enter, Alt+letter as ESC then the letter; tmux keeps Ctrl+B for itself. A key probe (a bare
Textual app that logs what it reads) is sent each default key of every place in the app, one
test per key, and must read exactly that key.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.binding import Binding

from tests.support.tmux import Tmux, needs_tmux
from tui.bindings import contexts

pytestmark = [pytest.mark.e2e, needs_tmux]

QUILLPEN = Path(sys.executable).with_name("quillpen")
ROOT = Path(__file__).resolve().parents[2]
TMUX_NAMES = {
    "escape": "Escape",
    "enter": "Enter",
    "tab": "Tab",
    "delete": "DC",
    "home": "Home",
    "end": "End",
    "left": "Left",
    "right": "Right",
    "up": "Up",
    "down": "Down",
    "space": "Space",
    "backslash": "\\",
}
TMUX_MODIFIERS = {"ctrl": "C-", "alt": "M-", "shift": "S-"}
EATEN = {
    "ctrl+h": "Backspace",
    "ctrl+i": "Tab",
    "ctrl+m": "Enter",
    "ctrl+left_square_bracket": "Escape",
    "ctrl+b": "tmux's prefix",
    "ctrl+a": "screen's prefix",
}


def default_keys() -> list[str]:
    """Every key a default binding uses, in any place of the app."""
    keys: set[str] = set()
    for _, bindings in contexts():
        for binding in bindings:
            if isinstance(binding, Binding):
                keys.update(key.strip() for key in binding.key.split(","))
    return sorted(keys)


def tmux_name(key: str) -> str:
    """The name ``tmux send-keys`` knows ``key`` by (``ctrl+home`` → ``C-Home``)."""
    *mods, name = key.split("+")
    base = TMUX_NAMES.get(name, name.upper() if name[0] == "f" and name[1:].isdigit() else name)
    return "".join(TMUX_MODIFIERS[m] for m in mods) + base


def test_no_default_key_is_one_a_terminal_sends_as_another() -> None:
    clashes = {key: EATEN[key] for key in default_keys() if key in EATEN}
    assert not clashes, f"default keys a terminal or multiplexer takes: {clashes}"


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Tmux, Path]]:
    folder = tmp_path_factory.mktemp("probe")
    log = folder / "keys.log"
    log.touch()
    env = {**os.environ, "TERM": "xterm-256color"}
    session = Tmux(f"qpk{os.getpid()}", env, folder)
    session.start(f"cd {ROOT} && {sys.executable} -m tests.support.key_probe {log}")
    try:
        session.wait_for(lambda s: "key probe ready" in s)
        yield session, log
    finally:
        session.stop()


@pytest.mark.parametrize("key", default_keys())
def test_default_key_arrives_as_itself(probe: tuple[Tmux, Path], key: str) -> None:
    session, log = probe
    assert read_keys(session, log, tmux_name(key)) == [key]


def test_alt_s_in_a_burst_is_one_key(probe: tuple[Tmux, Path]) -> None:
    """Textual alone reads ESC s ESC [1;5H (Alt+S, Ctrl+Home in one write) as ^ s Ctrl+Home."""
    assert read_keys(*probe, "M-s", "C-Home", "M-S", "Down") == [
        "alt+s",
        "ctrl+home",
        "alt+shift+s",
        "down",
    ]


def test_escape_then_a_ctrl_key_in_a_burst_is_two_keys(probe: tuple[Tmux, Path]) -> None:
    """Textual alone reads ESC ^T as Ctrl+T only: the Esc (close a dialog) was lost."""
    assert read_keys(*probe, "Escape", "C-t", "Escape", "C-s") == [
        "escape",
        "ctrl+t",
        "escape",
        "ctrl+s",
    ]


def read_keys(session: Tmux, log: Path, *keys: str) -> list[str]:
    """The keys the probe reads when tmux sends ``keys`` in one write."""
    before = len(log.read_text().splitlines())
    session.keys(*keys, "F11")  # (F11 marks the end: every key before it has been read)
    wait(lambda: _lines(log)[before:][-1:] == ["f11"])
    return _lines(log)[before:-1]


def _lines(log: Path) -> list[str]:
    return [line.split("\t")[0] for line in log.read_text().splitlines()]


def test_alt_s_and_f12_show_the_margin_and_type_nothing(tmux: Tmux, tmp_path: Path) -> None:
    """ESC then s (all that tmux, xterm, GNOME Terminal send for Alt+S) never types an s."""
    story = tmp_path / "day.md"
    story.write_text("day")
    tmux.start(f"{QUILLPEN} {story}")
    tmux.wait_for(lambda s: "no model" in s)
    tmux.keys("End", "M-s")
    tmux.wait_for(lambda s: "Poem margin" in s)
    tmux.keys("M-s", "F12", "!")  # off, on again, then a typed character
    screen = tmux.wait_for(lambda s: "!" in s)
    assert re.search(r"│ +1~? day! ", screen), screen  # the margin, and no s typed


def wait(predicate: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
