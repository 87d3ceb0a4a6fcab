"""What a hang-up handler must survive: interrupting the main thread anywhere (even inside
``threading``'s own locks), a main thread that never gives the GIL back, a job starting just as
the app goes. Each case runs in a child process that a signal must end within 2 s."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from models.hub import child_job
from models.local.client import LocalEngine
from models.progress import PullCancelled

ROOT = Path(__file__).resolve().parents[2]

APP = """
import os, signal, sys, threading, time
from tui import hangup

class Stuck:  # the journal and the children are done; the orderly exit never comes
    def journal_now(self): pass
    def end_children(self): pass
    def exit_soon(self): pass

with hangup.guard(Stuck()):
    {body}
"""


def signalled(script: str, signum: int) -> tuple[int, float]:
    """Run ``script``, which prints a line just before it sends itself ``signum``; its exit
    status and the seconds from that line to its end."""
    proc = subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == "now\n"
    sent = time.monotonic()
    try:
        code = proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        pytest.fail(f"still running 15 s after signal {signum}")
    return code, time.monotonic() - sent


def app_script(body: str) -> str:
    return APP.format(body=textwrap.indent(textwrap.dedent(body), "    ").strip())


def test_the_last_resort_fires_though_the_signal_landed_inside_threading() -> None:
    """Starting a thread from the handler would wait forever on the lock held here."""
    code, seconds = signalled(
        app_script(
            """
            with threading._active_limbo_lock:  # as in Thread.start, when the signal lands
                print("now", flush=True)
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(30)
            """
        ),
        signal.SIGTERM,
    )
    assert code == 128 + signal.SIGTERM
    assert seconds < 2.0


def test_the_kernel_timer_fires_when_no_python_thread_can_run() -> None:
    """The main thread holds the GIL in native code (libc's pause, called through PyDLL): the
    watchdog thread cannot run; the kernel's SIGALRM still ends the process."""
    code, seconds = signalled(
        app_script(
            """
            import ctypes
            libc = ctypes.PyDLL(None)  # calls keep the GIL
            print("now", flush=True)
            os.kill(os.getpid(), signal.SIGHUP)
            while True:
                libc.pause()
            """
        ),
        signal.SIGHUP,
    )
    assert code == -signal.SIGALRM
    assert seconds < 2.0


def test_the_cli_ends_its_job_though_the_signal_landed_inside_its_lock() -> None:
    """`models pull`: the hang-up lands while the main thread registers its job."""
    script = """
import os, signal, time
from models.hub import child_job
from tui import cli

cli._end_jobs_on_hangup()
with child_job._lock:
    print("now", flush=True)
    os.kill(os.getpid(), signal.SIGHUP)
    time.sleep(30)
"""
    code, seconds = signalled(script, signal.SIGHUP)
    assert code == 128 + signal.SIGHUP
    assert seconds < 2.0


def test_a_job_starting_after_the_app_ended_its_jobs_is_ended_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker thread of a pull may start its next step just after the hang-up's
    ``end_all``: that job is ended at once, its partial file removed."""
    monkeypatch.setattr(child_job, "_ended", False)  # (put back after the test)
    monkeypatch.setenv(child_job.DELAY_ENV, "60")
    out = tmp_path / "model.gguf"
    child_job.end_all()
    started = time.monotonic()
    with pytest.raises(PullCancelled):
        child_job.run("quantize", out=out, src=tmp_path / "model.f16.gguf", quant="Q8_0")
    assert time.monotonic() - started < 2.0
    assert not child_job.partial_of(out).exists()


def test_an_engine_starting_after_the_kill_is_ended_at_once(
    tiny_gguf: Path, user_dirs: dict[str, Path]
) -> None:
    """The hang-up's kill lands while the app is starting its engine (before the child is
    known): the child that then appears is killed at once, not left loading."""
    engine = LocalEngine(lambda event: None)
    engine.kill()
    engine.load(tiny_gguf)
    child = engine._child
    assert child is not None and engine.pid == child.proc.pid
    assert child.proc.wait(timeout=2) == -signal.SIGKILL
    engine.close()
