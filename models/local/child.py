"""One engine process and its pipes, as the parent sees it (:mod:`models.local.client`)."""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path
from typing import Any

from models import locations
from models.child_python import child_env, module_argv
from models.local.frames import FrameWriter

CLOSE_WAIT = 1.0
"""Seconds a closing child has to exit before it is killed."""


class EngineChild:
    """One engine process and its pipes."""

    def __init__(self, module: str, log_path: Path, env: dict[str, str] | None) -> None:
        self.log_file = open(locations.private_file(log_path), "ab")  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen(
            module_argv(module),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log_file,
            start_new_session=True,  # a terminal hang-up or Ctrl+C goes to the app, not here
            env=child_env(env),
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.writer = FrameWriter(self.proc.stdin.fileno())
        self.out_fd = self.proc.stdout.fileno()
        self.ended = False
        """We ended it on purpose: its EOF is not a crash."""

    def send(self, message: dict[str, Any]) -> bool:
        try:
            self.writer.send(message)
            return True
        except OSError:
            return False

    def kill(self) -> None:
        """End it now (the app is going away); safe in a signal handler."""
        self.ended = True
        with contextlib.suppress(OSError):
            self.proc.kill()

    def close(self, wait: float = CLOSE_WAIT) -> None:
        """Ask it to exit; kill it if it has not within ``wait`` seconds. Never blocks longer."""
        self.ended = True
        self.send({"op": "exit"})
        with contextlib.suppress(OSError):
            assert self.proc.stdin is not None
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=wait)
        with contextlib.suppress(OSError):
            self.log_file.close()
