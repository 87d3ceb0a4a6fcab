"""A dropped terminal (SIGHUP) or SIGTERM ends quillpen within 2 seconds, at any moment.

The handler is a plain ``signal.signal`` handler, not an asyncio one: Python runs it on the main
thread even when that thread is blocked (a lock, a full output queue to a terminal that is gone),
where an event-loop handler would never run. It may interrupt the main thread anywhere, even
inside ``threading``'s own locks, so it starts no thread and takes no lock it could be holding.
It

1. arms the last resort: ``HARD_EXIT_AFTER`` seconds later the process ends whatever it is
   doing (a watchdog thread started beforehand, woken through a pipe, calls ``os._exit``; a
   kernel timer, SIGALRM with its default action, ends it even if no Python thread can run);
2. after a real hang-up, lets go of the dead terminal: output goes to ``/dev/null`` (a write to a
   hung-up terminal fails, and Textual's writer thread would die with its queue filling up),
   and the SIGCONT the kernel sends with SIGHUP no longer makes Textual restart its screen (a
   new writer thread on the dead terminal, then the same stall);
3. writes the recovery journal at once (reading the editor's text only; no widget changes);
4. ends every child process quillpen started: the engine (which also ends by itself when its
   pipe closes) and any convert or quantize job, whose partial file is removed, and removes
   the partial file of a download in progress (:mod:`models.hub.partial_downloads`);
5. asks the app to exit, which it then does in the orderly way, well before the last resort.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from types import FrameType
from typing import Protocol

from models.hub import child_job, partial_downloads

log = logging.getLogger("quillpen.hangup")
HARD_EXIT_AFTER = 1.5
HARD_EXIT_ENV = "QUILLPEN_TEST_HARD_EXIT"
"""Test-only: seconds before the last resort (default ``HARD_EXIT_AFTER``), so that a test can
tell that the orderly exit alone ends quillpen in time."""
KERNEL_MARGIN = 0.3
"""The kernel timer fires this long after the watchdog should have."""
SIGNALS = (signal.SIGHUP, signal.SIGTERM)
OUTPUT_FDS = (1, 2)


class Quittable(Protocol):
    def journal_now(self) -> None: ...

    def end_children(self) -> None: ...

    def exit_soon(self) -> None: ...


class LastResort:
    """Ends the process ``after`` seconds once :meth:`arm` is called, however stuck it is.

    :meth:`arm` takes no lock and starts no thread (it runs in a signal handler): it writes the
    signal number to a pipe that a watchdog thread, started here, waits on, and sets a kernel
    timer for when no Python thread can run at all (native code holding the GIL, or the
    interpreter finalizing, which freezes daemon threads).
    """

    def __init__(self, after: float) -> None:
        self.after = after
        self.armed = False
        self._read, self._write = os.pipe()
        threading.Thread(target=self._watch, name="hangup-watchdog", daemon=True).start()

    def _watch(self) -> None:
        signum = os.read(self._read, 1)
        os.close(self._read)
        if signum:
            time.sleep(self.after)
            os._exit(128 + signum[0])

    def arm(self, signum: int) -> None:
        self.armed = True
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.setitimer(signal.ITIMER_REAL, self.after + KERNEL_MARGIN)
        os.write(self._write, bytes([signum]))

    def close(self) -> None:
        """Not needed after all: let the watchdog thread end."""
        if not self.armed:
            os.close(self._write)


def _hard_exit_after() -> float:
    try:
        return float(os.environ.get(HARD_EXIT_ENV) or HARD_EXIT_AFTER)
    except ValueError:
        return HARD_EXIT_AFTER


def _terminals() -> set[int]:
    return {fd for fd in (0, *OUTPUT_FDS) if os.isatty(fd)}


def _let_go_of(gone: set[int]) -> None:
    """The terminal on the fds ``gone`` hung up: nothing of ours may fail writing to it (its
    input just reads as ended, which Textual's input thread takes in its stride)."""
    if not gone:
        return
    signal.signal(signal.SIGCONT, signal.SIG_DFL)  # Textual would restart its screen on it
    null = os.open(os.devnull, os.O_WRONLY)
    for fd in gone & set(OUTPUT_FDS):
        os.dup2(null, fd)
    os.close(null)


@contextlib.contextmanager
def guard(app: Quittable) -> Iterator[None]:
    """Handle SIGHUP and SIGTERM for ``app`` while the block runs (the app's whole run)."""
    fired: list[int] = []  # (a list, not an Event: Event.set takes a lock)
    last_resort = LastResort(_hard_exit_after())
    terminals = _terminals()

    def handler(signum: int, frame: FrameType | None) -> None:
        if fired:
            return
        fired.append(signum)
        last_resort.arm(signum)
        if signum == signal.SIGHUP:  # a real hang-up has already cut the terminal off
            _let_go_of(terminals - _terminals())
        steps = (app.journal_now, app.end_children, child_job.end_all, partial_downloads.end_all)
        for step in (*steps, app.exit_soon):
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
        last_resort.close()


def leave_now_if_threads_linger(code: int) -> int:
    """After the app has closed: return ``code``, or end the process at once with it if a
    worker thread is still busy (a download): Python would otherwise wait for it at exit."""
    others = [t for t in threading.enumerate() if t is not threading.main_thread()]
    if not any(t.is_alive() and not t.daemon for t in others):
        return code
    child_job.end_all()
    partial_downloads.end_all()  # (a download that started after the hang-up's)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)
