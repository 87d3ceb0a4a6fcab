"""Typing while a voice is taught: keystroke echo in the real app (tmux 80×24), with and
without the training the app starts (F5's "Teach a voice…"), as ratios measured in one run.

    uv run python bench/voice_echo.py [--rounds 2] [--keys 15] [--small]

The training is exactly the app's: ``quillpen voice train NAME PATH --base CKPT --events``
(niced, in its own session), on a random-weight checkpoint (gpt2-small-shaped with
``--small``, else a 4-layer 256-wide one that starts in seconds). Echo is timed from the key
sent to the character drawn, only once the training reports its steps (not while it converts
the base or compiles). Rounds alternate, so a noisy moment hits both sides.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from terminal import ECHO_CHARS, QUILLPEN, Terminal  # noqa: E402
from terminal import _echo as echo_delays  # noqa: E402

from tests.support.tinymodel import make_checkpoint  # noqa: E402

LINES = [
    "the tide goes out and leaves the stones",
    "a heron waits where water was",
    "the lamp goes round above the sound",
    "and salt dries white on every rope",
]


def corpus(folder: Path) -> Path:
    """Forty short poems: enough text for many windows."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(40):
        lines = [f"{LINES[(i + j) % 4]} {i}" for j in range(8)]
        (folder / f"poem{i:02}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def env_for(home: Path) -> dict[str, str]:
    env = {**os.environ, "TERM": "xterm-256color"}
    for kind in ("CACHE", "CONFIG", "DATA", "STATE"):
        env[f"XDG_{kind}_HOME"] = str(home / kind.lower())
    return env


def start_training(base: Path, texts: Path, home: Path, name: str) -> subprocess.Popen[str]:
    """The app's training command; returns once its first training steps are reported."""
    argv = [sys.executable, "-m", "tui.cli", "voice", "train", name, str(texts)]
    argv += ["--base", str(base), "--minutes", "10", "--events", "--quant", "Q8_0"]
    proc = subprocess.Popen(
        argv,
        env=env_for(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout is not None
    steps = 0
    for line in proc.stdout:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("event") == "step":
            steps += 1
            if steps >= 2:  # compiled and running
                return proc
    raise RuntimeError(f"the training ended before its steps (exit {proc.wait()})")


def stop_training(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def echo(doc: Path, home: Path, keys: int) -> list[float]:
    home.mkdir(parents=True, exist_ok=True)
    term = Terminal(f"qpv{os.getpid()}-{time.monotonic_ns()}", env_for(home), home / "tty.log")
    try:
        term.start(f"{QUILLPEN} {doc}")
        term.expect("words", timeout=60)
        time.sleep(2.0)  # the side panes and the spelling dictionaries after the first frame
        return echo_delays(term, ECHO_CHARS[:keys], streaming=False)
    finally:
        term.stop()


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--keys", type=int, default=15, help="keys typed per round (at most 30)")
    ap.add_argument("--small", action="store_true", help="a gpt2-small-shaped base (slower)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        shape = dict(n_embd=768, n_layer=12, n_head=12) if args.small else {}
        base = make_checkpoint(
            folder / "base", n_ctx=1024, **(shape or dict(n_embd=256, n_layer=4, n_head=4))
        )
        texts = corpus(folder / "poems")
        doc = folder / "draft.md"
        doc.write_text("The lighthouse keeper wrote the tide tables by hand.\n")
        idle: list[float] = []
        training: list[float] = []
        for round_ in range(args.rounds):
            for teaching in (False, True) if round_ % 2 == 0 else (True, False):
                home = folder / f"home-{round_}-{int(teaching)}"
                proc = start_training(base, texts, home, f"v{round_}") if teaching else None
                try:
                    (training if teaching else idle).extend(echo(doc, home, args.keys))
                finally:
                    if proc is not None:
                        stop_training(proc)
        for label, values in (("idle", idle), ("while teaching", training)):
            print(
                f"echo {label:>15}: p50 {statistics.median(values):6.1f} ms, "
                f"p95 {p95(values):6.1f} ms ({len(values)} keys)"
            )
        p50_ratio = statistics.median(training) / statistics.median(idle)
        p95_ratio = p95(training) / p95(idle)
        print(f"ratio (teaching / idle): p50 {p50_ratio:.2f}×, p95 {p95_ratio:.2f}×")


if __name__ == "__main__":
    main()
