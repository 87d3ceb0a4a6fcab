"""End to end: the installed `quillpen` in a real terminal (tmux), keys typed like a user."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

QUILLPEN = Path(sys.executable).with_name("quillpen")


class Tmux:
    def __init__(self, name: str, env: dict[str, str]) -> None:
        self.name = name
        self.env = env

    def run(self, *args: str) -> str:
        return subprocess.run(
            ["tmux", "-L", self.name, *args],
            capture_output=True,
            text=True,
            env=self.env,
            check=True,
        ).stdout

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", self.name, *keys)

    def type(self, text: str) -> None:
        self.run("send-keys", "-t", self.name, "-l", text)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.name)

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while True:
            text = self.screen()
            if predicate(text):
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; screen was:\n{text}")
            time.sleep(0.1)


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    env = {**os.environ, "TERM": "xterm-256color"}
    session = Tmux(f"qp{os.getpid()}{tmp_path.name[-6:]}", env)
    yield session
    subprocess.run(["tmux", "-L", session.name, "kill-server"], capture_output=True)


def test_type_continue_stop_save(tmux: Tmux, tmp_path: Path, tiny_gguf: Path) -> None:
    assert QUILLPEN.exists(), "the console script is installed in the venv"
    story = tmp_path / "story.md"
    command = f"{QUILLPEN} {story} --model {tiny_gguf}"
    tmux.run("new-session", "-d", "-s", tmux.name, "-x", "80", "-y", "24", command)
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
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if subprocess.run(["tmux", "-L", tmux.name, "has-session"], capture_output=True).returncode:
            break
        time.sleep(0.1)


def _words(screen: str) -> int:
    for line in screen.splitlines():
        if " words" in line:
            try:
                return int(line.rsplit("│", 1)[-1].split()[0].replace(",", ""))
            except (ValueError, IndexError):
                return 0
    return 0
