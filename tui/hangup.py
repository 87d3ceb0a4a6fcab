"""A dropped terminal (SIGHUP) or SIGTERM ends quillpen within 2 seconds, at any moment.

The handler is a plain ``signal.signal`` handler, not an asyncio one: Python runs it on the main
thread even when that thread is blocked (a lock, a full output queue to a terminal that is gone),
where an event-loop handler would never run. It

1. writes the recovery journal at once (reading the editor's text only; no widget changes);
2. ends every child process quillpen started: the engine (which also ends by itself when its
   pipe closes) and any convert or quantize job, whose partial file is removed;
3. asks the app to exit, and arms a timer that ends the process after ``HARD_EXIT_AFTER``
   seconds if the orderly exit is stuck (``os._exit``, so no thread can hold it up).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Protocol

from models import child_job

log = logging.getLogger("quillpen.hangup")
HARD_EXIT_AFTER = 1.5
SIGNALS = (signal.SIGHUP, signal.SIGTERM)


class Quittable(Protocol):
    def journal_now(self) -> None: ...

    def end_children(self) -> None: ...

    def exit_soon(self) -> None: ...


@contextlib.contextmanager
def guard(app: Quittable) -> Iterator[None]:
    """Handle SIGHUP and SIGTERM for ``app`` while the block runs (the app's whole run)."""
    fired = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        if fired.is_set():
            return
        fired.set()
        timer = threading.Timer(HARD_EXIT_AFTER, os._exit, args=(128 + signum,))
        timer.daemon = True
        timer.start()
        for step in (app.journal_now, app.end_children, child_job.end_all, app.exit_soon):
            try:
                step()
            except Exception:  # the next step must still run
                log.exception("hang-up step %s failed", getattr(step, "__name__", step))

    previous = {sig: signal.signal(sig, handler) for sig in SIGNALS}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def leave_now_if_threads_linger(code: int) -> int:
    """After the app has closed: return ``code``, or end the process at once with it if a
    worker thread is still busy (a download): Python would otherwise wait for it at exit."""
    others = [t for t in threading.enumerate() if t is not threading.main_thread()]
    if not any(t.is_alive() and not t.daemon for t in others):
        return code
    child_job.end_all()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)
