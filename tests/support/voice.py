"""Helpers for the voice tests: a small structured corpus, and the real CLI as a subprocess."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

COLOURS = ("red", "blue", "green", "grey")
ANIMALS = ("fox", "crow", "hare", "owl")
PLACES = ("hill", "river", "wood", "field")
ZH_LINES = ("床前明月光", "疑是地上霜", "举头望明月", "低头思故乡", "春眠不觉晓", "处处闻啼鸟")


def write_poems(folder: Path, files: int = 6, poems: int = 5, seed: int = 0) -> Path:
    """Files of four-line poems from a tiny grammar: structure a model can learn quickly."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for f in range(files):
        text = []
        for _ in range(poems):
            lines = [
                f"the {rng.choice(COLOURS)} {rng.choice(ANIMALS)} goes to the {rng.choice(PLACES)}"
                for _ in range(4)
            ]
            text.append("\n".join(lines))
        (folder / f"poems{f}.txt").write_text("\n\n".join(text) + "\n", encoding="utf-8")
    return folder


def write_zh_poems(folder: Path, poems: int = 30, seed: int = 0) -> Path:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    text = ["\n".join(line + "，" for line in rng.sample(ZH_LINES, 4)) for _ in range(poems)]
    (folder / "诗.txt").write_text("\n\n".join(text) + "\n", encoding="utf-8")
    return folder


def cli_env(home: Path) -> dict[str, str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(home / "cache"), "HF_HUB_OFFLINE": "1"}
    for kind in ("CONFIG", "DATA", "STATE"):
        env[f"XDG_{kind}_HOME"] = str(home / kind.lower())
    return env


def quillpen(home: Path, *args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
    """Run ``quillpen ARGS`` to the end (the real command, in its own process)."""
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *args],
        env=cli_env(home),
        capture_output=True,
        text=True,
        timeout=kw.pop("timeout", 240),
        **kw,
    )


def start(home: Path, *args: str) -> subprocess.Popen[str]:
    """Start ``quillpen ARGS`` (stderr piped, line by line)."""
    return subprocess.Popen(
        [sys.executable, "-m", "tui.cli", *args],
        env=cli_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
