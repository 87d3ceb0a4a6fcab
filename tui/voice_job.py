"""Teaching a voice from inside the app: one job at a time, owned by the app (not a screen).

Preparation and the final merge run in a thread worker of the app; training itself runs in
the worker child process (:mod:`models.voice.teach`: ``os.nice``-ed, its own session, stderr to
a log file, never the terminal), so the editor keeps its CPU share and its GIL. Progress goes
to :attr:`VoiceJob.status` and to the status bar (from the UI thread only); when it is done the
app offers to switch to the new voice.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models.errors import QuillpenError

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
    """More of ``teach.prepare``'s options (window, lr, quant, epochs...)."""


class VoiceJob:
    def __init__(self, app: Any, request: VoiceRequest) -> None:
        self.app = app
        self.request = request
        self.status = f"preparing {request.name}…"
        self.cancel = threading.Event()
        self.running = True
        self.path: Path | None = None
        self.error: str | None = None
        self._last = 0.0

    def start(self) -> None:
        global current
        current = self
        self.app.run_worker(self._run, thread=True, group="voice", exit_on_error=False)

    def stop(self) -> None:
        """Stop training after its current step; the best checkpoint so far is stored."""
        self.cancel.set()

    # In the worker thread ----------------------------------------------------------------------
    def _run(self) -> None:
        from models.voice import teach
        from models.voice.finish import finish

        r = self.request
        try:
            teach.require_library()
            options = {"minutes": r.minutes, **r.options}
            prepared = teach.prepare(r.name, r.base, r.paths, notify=self._say, **options)
            if self.cancel.is_set():
                raise QuillpenError("cancelled before training started")
            done = teach.run_training(prepared.workdir, self._event, self.cancel)
            self._say(f"storing {r.name}…", force=True)
            path = finish(r.name, done, notify=self._say)
        except QuillpenError as exc:
            self.app.call_from_thread(self._finished, None, str(exc))
        except Exception as exc:  # shown, never a crash of the editor
            self.app.call_from_thread(self._finished, None, f"unexpected error: {exc!r}")
        else:
            self.app.call_from_thread(self._finished, path, None)

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
                self.app.use_model(path)

        self.app.push_screen(
            Choice(
                f"The voice {self.request.name} is ready. Write with it now?",
                [("use", "Use it now"), ("later", "Later")],
            ),
            answer,
        )
