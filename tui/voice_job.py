"""Teaching a voice from inside the app: one job at a time, owned by the app (not a screen).

The whole job runs as ``quillpen voice train … --events`` in a child process (niced, its own
session, stderr to ``voice.log`` in the state folder, never the terminal), and training is
that child's own child: the app keeps its memory, its GIL and most of the CPU. A thread of the
app reads the JSON events; progress goes to :attr:`VoiceJob.status` and to the status bar (from
the UI thread only); when it is done the app offers to switch to the new voice.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models import locations

current: VoiceJob | None = None
"""The job running now (or the last one, finished)."""
UPDATE_EVERY = 0.25
"""Seconds between progress updates sent to the UI (steps of a tiny model come faster)."""


@dataclass(frozen=True)
class VoiceRequest:
    name: str
    paths: list[Path]
    base: str
    minutes: float
    options: dict[str, Any] = field(default_factory=dict)
    """More options of ``quillpen voice train``, by name (window, lr, quant, epochs...)."""


class VoiceJob:
    def __init__(self, app: Any, request: VoiceRequest, use_model: Callable[[Path], None]) -> None:
        """``use_model``: the model session's ``use``, offered when the voice is ready."""
        self.app = app
        self.use_model = use_model
        self.request = request
        self.status = f"preparing {request.name}…"
        self.cancel = threading.Event()
        self.running = True
        self.path: Path | None = None
        self.error: str | None = None
        self.shown: list[str] = []
        """Every progress line shown, in order."""
        self._last = 0.0

    def start(self) -> None:
        global current
        current = self
        self.app.run_worker(self._run, thread=True, group="voice", exit_on_error=False)

    def stop(self) -> None:
        """Stop training after its current step; the best checkpoint so far is stored."""
        self.cancel.set()

    # In the worker thread ----------------------------------------------------------------------
    def argv(self) -> list[str]:
        """``quillpen voice train … --events`` for this request."""
        r = self.request
        argv = [sys.executable, "-m", "tui.cli", "voice", "train", r.name, *map(str, r.paths)]
        argv += ["--base", r.base, "--minutes", str(r.minutes), "--events"]
        for key, value in r.options.items():
            argv += ["--" + key.replace("_", "-"), str(value)]
        return argv

    def _run(self) -> None:
        """Prepare, training and storing all run in ``quillpen voice train --events`` (a niced
        child in its own session; training is its own child in turn): the app's process keeps
        its memory and its GIL. Stop sends it SIGINT, which keeps the best checkpoint."""
        log_path = locations.state_dir() / "voice.log"
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                self.argv(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=log,
                start_new_session=True,
            )
            stopper = threading.Thread(target=self._stop_when_asked, args=(proc,), daemon=True)
            stopper.start()
            path = None
            assert proc.stdout is not None
            for line in proc.stdout:
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if event.get("event") == "note":
                    self._say(f"{self.request.name}: {event['text']}", force=True)
                elif event.get("event") == "stored":
                    path = Path(event["path"])
                else:
                    self._event(event)
            proc.wait()
        if path is not None:
            self.app.call_from_thread(self._finished, path, None)
            return
        lines = log_path.read_text(errors="replace").strip().splitlines()
        reason = lines[-1].removeprefix("quillpen: ") if lines else f"exit {proc.returncode}"
        self.app.call_from_thread(self._finished, None, reason)

    def _stop_when_asked(self, proc: subprocess.Popen[bytes]) -> None:
        while proc.poll() is None:
            if self.cancel.wait(0.1):
                proc.send_signal(signal.SIGINT)
                return

    def _event(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "step":
            eta = int(event["eta_s"])
            self._say(
                f"{self.request.name}: step {event['step']}/{event['total']}, "
                f"loss {event['loss']:.2f}, {event['tok_s']:.0f} tok/s, "
                f"ETA {eta // 60}:{eta % 60:02d}"
            )
        elif kind == "eval" and event.get("held_loss") is not None:
            self._say(f"{self.request.name}: held-out loss {event['held_loss']:.2f}", force=True)

    def _say(self, text: str, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last >= UPDATE_EVERY:
            self._last = now
            self.app.call_from_thread(self._show, text)

    # On the UI thread --------------------------------------------------------------------------
    def _show(self, text: str) -> None:
        self.status = text
        self.shown.append(text)
        self._status_bar(f"voice: {text}")

    def _status_bar(self, text: str) -> None:
        from tui.widgets.status import StatusBar

        for bar in self.app.query(StatusBar):
            bar.voice = text

    def _finished(self, path: Path | None, error: str | None) -> None:
        from tui.screens.dialogs import Choice

        self.running, self.path, self.error = False, path, error
        self._status_bar("")
        if error is not None:
            self.status = f"Teaching {self.request.name} failed: {error}"
            self.app.notify(error, title="Teach a voice", severity="error", timeout=12)
            return
        self.status = f"Ready: {self.request.name} ({path})"

        def answer(choice: str | None) -> None:
            if choice == "use" and path is not None:
                self.use_model(path)

        self.app.push_screen(
            Choice(
                f"The voice {self.request.name} is ready. Write with it now?",
                [("use", "Use it now"), ("later", "Later")],
            ),
            answer,
        )
