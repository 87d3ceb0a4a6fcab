"""Spelling on a 1 MB draft, as ratios measured in one run.

    uv run python bench/spelling.py [--rounds 3] [--keys 15] [--no-terminal]

  load     the dictionaries (pyspellchecker's English list, the CMU dictionary), in seconds,
           in a thread, and the longest the main thread waited for the interpreter meanwhile
  pass     the whole-draft check a worker runs (every line of a 1 MB draft), against the
           2 s budget of issue 20
  line     re-checking one paragraph (what a key costs), in microseconds
  frame    underlining the 24 lines of a redraw, every line checked already, in microseconds
  echo     keys typed at the end of the 1 MB draft in the real app (tmux 80×24): the time
           until each shows, spelling on against spelling off, rounds interleaved

The draft: paragraphs of common English words with one word in a hundred misspelled (a letter
swapped), about 1 MB. No model is loaded (the echo rounds start with none).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from terminal import ECHO_CHARS, QUILLPEN, Terminal  # noqa: E402

BUDGET = 2.0
MEGABYTE = 1_000_000


def draft(size: int = MEGABYTE, seed: int = 7) -> str:
    """Paragraphs of ≈ 700 characters, 1% of the words misspelled."""
    from tui.poetry.pronounce import common_levels

    rng = random.Random(seed)
    words = sorted(w for w, level in common_levels().items() if level <= 35 and w.isalpha())
    paragraphs, total = [], 0
    while total < size:
        picked = []
        for _ in range(120):
            word = rng.choice(words)
            if rng.random() < 0.01 and len(word) > 3:
                i = rng.randrange(len(word) - 1)
                word = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
            picked.append(word)
        paragraph = " ".join(picked).capitalize() + "."
        paragraphs.append(paragraph)
        total += len(paragraph) + 2
    return "\n\n".join(paragraphs) + "\n"


def in_process(text: str) -> dict[str, float]:
    import threading

    from tui.spelling.checker import Speller
    from tui.spelling.marks import SpellMarks

    loaded: list[Speller] = []
    started = time.perf_counter()
    worker = threading.Thread(target=lambda: loaded.append(Speller.load("en", ())))
    worker.start()
    stall = 0.0
    while worker.is_alive():  # the UI thread's view: how long can a key wait for the worker?
        tick = time.perf_counter()
        time.sleep(0.001)
        stall = max(stall, time.perf_counter() - tick - 0.001)
    out = {"load_s": time.perf_counter() - started, "stall_ms": stall * 1000}
    speller = loaded[0]
    lines = text.split("\n")
    passes = []
    for _ in range(3):
        marks = SpellMarks()
        marks.speller = speller
        started = time.perf_counter()
        out["unknown"] = marks.check_all(lines)
        passes.append(time.perf_counter() - started)
    out["pass_s"] = statistics.median(passes)
    paragraph = max(lines, key=len)
    timings = []
    for i in range(200):
        line = paragraph + str(i)
        started = time.perf_counter()
        speller.unknown_spans(line)
        timings.append(time.perf_counter() - started)
    out["line_us"] = statistics.median(timings) * 1e6
    out["line_chars"] = len(paragraph)
    from rich.text import Text

    marks = SpellMarks()
    marks.speller = speller
    marks.check_all(lines)
    screen = [line for line in lines if line][:24]  # a frame of 24 paragraphs, checked
    timings = []
    for _ in range(200):
        texts = [Text(line) for line in screen]
        started = time.perf_counter()
        for row, line in enumerate(texts):
            marks.style(line, row)
        timings.append(time.perf_counter() - started)
    out["frame_us"] = statistics.median(timings) * 1e6
    return out


def echo_round(doc: Path, home: Path, spelling: bool, keys: int) -> list[float]:
    env = {**os.environ, "TERM": "xterm-256color"}
    for kind in ("CACHE", "CONFIG", "DATA", "STATE"):
        env[f"XDG_{kind}_HOME"] = str(home / kind.lower())
    config = home / "config" / "quillpen"
    config.mkdir(parents=True, exist_ok=True)
    (config / "config.toml").write_text(f"spelling = {'true' if spelling else 'false'}\n")
    term = Terminal(f"qps{os.getpid()}-{int(spelling)}", env, home / "tty.log")
    try:
        term.start(f"{QUILLPEN} {doc}")
        term.expect("words", timeout=60)
        time.sleep(5.0)  # the dictionaries load and the whole-draft pass runs (≈ 1.5 s)
        delays = []
        for char in ECHO_CHARS[:keys]:
            term.mark()
            sent = time.perf_counter()
            term.keys("-l", char)
            delays.append((term.expect(char, timeout=10) - sent) * 1000)
            time.sleep(0.05)
        return delays
    finally:
        term.stop()


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--keys", type=int, default=15, help="keys typed per round (at most 30)")
    ap.add_argument("--no-terminal", action="store_true", help="skip the tmux echo rounds")
    args = ap.parse_args()
    text = draft()
    figures = in_process(text)
    print(f"draft: {len(text.encode()) / 1e6:.2f} MB, {text.count(chr(10)):,} lines")
    print(
        f"load: {figures['load_s']:.2f} s in a worker (nothing underlined until then); the "
        f"main thread waited {figures['stall_ms']:.0f} ms at most meanwhile"
    )
    print(
        f"pass: {figures['pass_s']:.3f} s for the whole draft, {figures['unknown']:.0f} unknown "
        f"words; {figures['pass_s'] / BUDGET:.2f}× the {BUDGET:.0f} s budget"
    )
    print(f"line: {figures['line_us']:.0f} µs to re-check a {figures['line_chars']:.0f}-char line")
    print(f"frame: {figures['frame_us']:.0f} µs to underline 24 checked paragraphs (one redraw)")
    if args.no_terminal:
        return
    with tempfile.TemporaryDirectory() as folder:
        doc = Path(folder) / "novel.md"
        doc.write_text(text)
        on: list[float] = []
        off: list[float] = []
        for round_ in range(args.rounds):
            for spelling, into in (
                ((True, on), (False, off))
                if round_ % 2 == 0
                else (
                    (False, off),
                    (True, on),
                )
            ):
                home = Path(folder) / f"home-{round_}-{int(spelling)}"
                into.extend(echo_round(doc, home, spelling, args.keys))
        for name, delays in (("on", on), ("off", off)):
            print(
                f"echo, spelling {name}: p50 {statistics.median(delays):.1f} ms, "
                f"p95 {p95(delays):.1f} ms ({len(delays)} keys)"
            )
        print(
            f"echo ratio on/off: p50 {statistics.median(on) / statistics.median(off):.2f}, "
            f"p95 {p95(on) / p95(off):.2f}"
        )


if __name__ == "__main__":
    main()
