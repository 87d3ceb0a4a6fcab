"""kill -9 then --resume continues the step count and the loss; Ctrl+C keeps the best."""

from __future__ import annotations

import math
import os
import re
import signal
import time
from pathlib import Path

from models.voice import state
from tests.models.voice.conftest import FAST, Trained
from tests.support.voice import quillpen, start


def _workdir(home: Path, name: str) -> Path:
    return home / "cache" / "quillpen" / "voice" / name


def _wait_for(path: Path, name: str, at_least: int, timeout: float = 180) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            saved = state.load(path, name)
        except (OSError, ValueError, KeyError):
            saved = None  # (never partial: it is renamed into place; a race on a new folder)
        if saved is not None and int(saved[1]["step"]) >= at_least:
            return saved[1]
        time.sleep(0.02)
    raise AssertionError(f"no {name} checkpoint at step {at_least} in {timeout}s")


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(p) for p in (task / "children").read_text().split()]
    return found


def test_resume_after_kill_9_continues_steps_and_loss(
    voice_base: Path, poems: Path, tmp_path: Path, trained: Trained
) -> None:
    """The resumed run's losses are those of the uninterrupted one (``trained``: the same
    data order and settings, one epoch) at the same steps."""
    args = ("voice", "train", "r", "--base", str(voice_base), str(poems), *FAST)
    proc = start(tmp_path, *args, "--epochs", "2", "--checkpoint-seconds", "0", "--patience", "0")
    saved = _wait_for(_workdir(tmp_path, "r"), "last", 10)
    for pid in [*_children(proc.pid), proc.pid]:  # a power cut: both at once, no clean-up
        os.kill(pid, signal.SIGKILL)
    proc.wait()
    saved = state.load(_workdir(tmp_path, "r"), "last")[1]  # type: ignore[index]
    step, loss = int(saved["step"]), float(saved["train_loss"])  # type: ignore[arg-type]
    done = quillpen(tmp_path, "voice", "train", "r", "--resume")
    assert done.returncode == 0, done.stderr
    total = int(re.findall(rf"resuming at step {step} of (\d+)", done.stderr)[0])
    lines = re.findall(rf"step (\d+)/{total} .* loss ([\d.]+)", done.stderr)
    first_step, first_loss = int(lines[0][0]), float(lines[0][1])
    assert step < first_step <= step + 8  # the count goes on (the next evaluation)
    assert math.isclose(first_loss, loss, abs_tol=1.0)  # and the loss with it
    uninterrupted = dict(re.findall(r"step (\d+)/\d+ .* loss ([\d.]+)", trained.stderr))
    assert float(uninterrupted[str(first_step)]) == first_loss
    assert int(state.load(_workdir(tmp_path, "r"), "last")[1]["step"]) == total  # type: ignore[index]


def test_ctrl_c_ends_cleanly_and_keeps_the_best(
    voice_base: Path, poems: Path, tmp_path: Path
) -> None:
    args = ("voice", "train", "c", "--base", str(voice_base), str(poems), *FAST)
    proc = start(tmp_path, *args, "--epochs", "20")
    best = _wait_for(_workdir(tmp_path, "c"), "best", 8)
    proc.send_signal(signal.SIGINT)  # what the terminal sends on Ctrl+C
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "stopped (interrupted)" in err and "Traceback" not in err
    kept = state.load(_workdir(tmp_path, "c"), "best")[1]  # type: ignore[index]
    assert int(kept["step"]) >= int(best["step"])  # type: ignore[call-overload]
    assert Path(out.strip()).is_file()  # the best so far, stored as a model
