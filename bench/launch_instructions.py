"""Launch cost in instructions, which no other process on the machine can disturb.

    uv run python bench/launch_instructions.py [--runs 2] [--phases]

Runs `quillpen FILE` and the minimal Textual app of ``bench/terminal.py`` (a TextArea showing
the same file) under valgrind's cachegrind, each in a tmux 80×24 terminal, and counts the
instructions each executes until the frame holding the file's first line is handed to the
terminal (the process ends there). Wall-clock launch times on these shared 2-core machines vary
by ±50% between launches of the same app; instruction counts vary by < 0.3%, so a change of
1% is seen in one run. ``--phases`` also counts quillpen up to the end of each start-up phase
(``tui.cli`` imported, settings read, ``tui.app`` imported, the App built).

Needs valgrind (``apt-get install valgrind``); takes about 10 s per count.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from terminal import MARKER, Terminal, build_model, launch_files

LAUNCHER = """
import os, sys
MARKER, STOP = sys.argv[1], sys.argv[2]
del sys.argv[1:3]
from textual.drivers import linux_driver

_write = linux_driver.LinuxDriver.write


def write(self, data):
    _write(self, data)
    if MARKER in data:
        os._exit(0)


linux_driver.LinuxDriver.write = write
if sys.argv[1] == "minimal":  # python minimal.py FILE
    import runpy

    sys.argv = sys.argv[2:]
    runpy.run_path(sys.argv[0], run_name="__main__")
    os._exit(1)
sys.argv = ["quillpen", *sys.argv[2:]]  # quillpen FILE --model M
import tui.cli
if STOP == "cli":
    os._exit(0)
run_app = tui.cli.run_app


def stop_early(args, settings=None):
    if STOP == "settings":
        os._exit(0)
    import tui.app
    if STOP == "app":
        os._exit(0)
    tui.app.QuillpenApp.run = lambda self: os._exit(0)
    return run_app(args, settings)


if STOP in ("settings", "app", "init"):
    tui.cli.run_app = stop_early
sys.exit(tui.cli.main())
"""
PHASES = ("cli", "settings", "app", "init")


def count(
    argv: list[str], stop: str, env: dict[str, str], folder: Path, *, valgrind: bool = True
) -> int:
    """Instructions of one launch, up to the frame with the file's text (or ``stop``)."""
    out = folder / f"cg.{time.monotonic_ns()}"
    launcher = folder / "launcher.py"
    launcher.write_text(LAUNCHER)
    counter = f"valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file={out} "
    command = f"{counter if valgrind else ''}{sys.executable} {launcher} '{MARKER}' {stop} "
    command += " ".join(argv)
    term = Terminal(f"qpi{os.getpid()}", env, folder / "tty.log")
    try:
        term.start(f"{command}; echo launch-counted")
        term.expect("launch-counted", timeout=300, poll=0.05)
    finally:
        term.stop()
    if not valgrind:
        return 0
    for line in out.read_text().splitlines():
        if line.startswith("summary:"):
            out.unlink()
            return int(line.split()[1])
    raise RuntimeError(f"no cachegrind summary in {out}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=2, help="counts of each app (interleaved)")
    ap.add_argument("--phases", action="store_true", help="also count quillpen's phases")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        model = build_model(folder, quick=True)
        doc, minimal = launch_files(folder)
        env = {**os.environ, "TERM": "xterm-256color"}
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # as a user's machine runs it (terminal.py)
        for kind in ("CACHE", "CONFIG", "DATA", "STATE"):
            env[f"XDG_{kind}_HOME"] = str(folder / kind.lower())
        quillpen = ["quill", str(doc), "--model", str(model)]
        minimal_app = ["minimal", str(minimal), str(doc)]
        for argv in (quillpen, minimal_app):  # once first, so that both run from bytecode
            count(argv, "frame", env, folder, valgrind=False)
        counts: dict[str, list[int]] = {"quillpen": [], "minimal": []}
        for _ in range(args.runs):
            counts["quillpen"].append(count(quillpen, "frame", env, folder))
            counts["minimal"].append(count(minimal_app, "frame", env, folder))
        med = {name: statistics.median(values) for name, values in counts.items()}
        for name, values in counts.items():
            print(
                f"{name:9} {med[name] / 1e9:.3f} G instructions (runs: "
                + ", ".join(f"{v / 1e9:.4f}" for v in values)
                + ")"
            )
        print(f"ratio     {med['quillpen'] / med['minimal']:.3f}")
        if args.phases:
            for phase in PHASES:
                print(f"  quillpen to '{phase}': {count(quillpen, phase, env, folder) / 1e9:.3f} G")


if __name__ == "__main__":
    main()
