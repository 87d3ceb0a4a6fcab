"""Drive the real app in a private tmux server, keys typed like a user (e2e tests and trials)."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

needs_tmux = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Tmux:
    """One private tmux server (``-L``) running one 80x24 session."""

    def __init__(self, name: str, env: dict[str, str], folder: Path) -> None:
        self.name = name
        self.env = env
        self.exit_file = folder / f"{name}.exit"

    def run(self, *args: str) -> str:
        return subprocess.run(
            ["tmux", "-L", self.name, *args],
            capture_output=True,
            text=True,
            env=self.env,
            check=True,
        ).stdout

    def start(self, command: str) -> None:
        """Run ``command`` under a shell that writes its exit status (128+N: killed by N)."""
        self.exit_file.unlink(missing_ok=True)
        wrapped = f"{command}; echo $? > {self.exit_file}"
        self.run("new-session", "-d", "-s", self.name, "-x", "80", "-y", "24", wrapped)

    def stop(self) -> None:
        subprocess.run(["tmux", "-L", self.name, "kill-server"], capture_output=True, env=self.env)

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", self.name, *keys)

    def type(self, text: str) -> None:
        self.run("send-keys", "-t", self.name, "-l", text)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.name)

    def wait_for(
        self, predicate: Callable[[str], bool], timeout: float = 30, interval: float = 0.05
    ) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                text = self.screen()
            except subprocess.CalledProcessError:
                status = self.exit_file.read_text().strip() if self.exit_file.exists() else "?"
                raise AssertionError(f"the session ended (exit status {status})") from None
            if predicate(text):
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; screen was:\n{text}")
            time.sleep(interval)

    def app_pid(self) -> int:
        """The quillpen process: the child of the pane's shell."""
        shell = int(self.run("list-panes", "-t", self.name, "-F", "#{pane_pid}").split()[0])
        children = Path(f"/proc/{shell}/task/{shell}/children").read_text().split()
        for pid in map(int, children):
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            if b"quillpen" in cmdline:
                return pid
        raise AssertionError(f"no quillpen process under the pane's shell {shell}: {children}")

    def wait_exit(self, timeout: float = 15) -> int:
        """Wait for the app to end; its exit status as the shell saw it."""
        deadline = time.monotonic() + timeout
        while not (self.exit_file.exists() and self.exit_file.read_text().strip()):
            if time.monotonic() > deadline:
                raise AssertionError(f"the app did not exit; screen:\n{self.screen()}")
            time.sleep(0.05)
        return int(self.exit_file.read_text())
