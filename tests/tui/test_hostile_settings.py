"""Odd values and paths give one plain message, never a traceback, a hang or a deleted cache.

config.toml with 10**400 or arrays nested 10^5 deep, or 50 MB of it; an engine whose ca_file is
missing or a folder; ``models rm .`` and ``models rm ..``; ``export --out`` a FIFO.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tui import config

ROOT = Path(__file__).resolve().parents[2]
HUGE = "1" + "0" * 400


def quillpen(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def one_plain_line(run: subprocess.CompletedProcess[str], *words: str) -> None:
    assert run.returncode != 0
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    for word in words:
        assert word in lines[0], lines[0]


@pytest.mark.parametrize(
    ("text", "warning"),
    [
        (f"threads = {HUGE}\n", "a huge number"),
        (f"[sampler]\ntemperature = {HUGE}\n", "sampler.temperature must be a (finite) number"),
        ("x = " + "[" * 100_000 + "]" * 100_000 + "\n", "nested too deeply"),
        (f'[engines.lab]\nurl = "http://127.0.0.1:9/v1"\ncontext_length = {HUGE}\n', "range"),
    ],
    ids=["int", "sampler", "nested", "window"],
)
def test_hostile_config_values_are_warnings(tmp_path: Path, text: str, warning: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    settings = config.load(path)
    assert any(warning in w for w in settings.warnings), settings.warnings
    assert settings.threads is None and settings.engines == {}


def test_a_50_mb_config_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    with path.open("w") as fh:
        line = "# " + "x" * 1000 + "\n"
        for _ in range(50_000):
            fh.write(line)
    settings = config.load(path)
    assert any("over 1024 KB" in w for w in settings.warnings), settings.warnings


@pytest.mark.parametrize("kind", ["missing", "folder"])
def test_an_unusable_ca_file_is_one_line(user_dirs: dict[str, Path], kind: str) -> None:
    ca = user_dirs["config"] / ("nothing.pem" if kind == "missing" else "a-folder")
    if kind == "folder":
        ca.mkdir(parents=True)
    path = user_dirs["config"] / "quillpen" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'[engines.lab]\nurl = "https://127.0.0.1:9/v1"\nca_file = "{ca}"\n')
    one_plain_line(quillpen("generate", "--engine", "lab", "Once"), "ca_file", str(ca))


@pytest.mark.parametrize("name", [".", "..", "./", "../"])
def test_models_rm_refuses_the_cache_itself(user_dirs: dict[str, Path], name: str) -> None:
    models = user_dirs["cache"] / "quillpen" / "models"
    kept = models / "gpt2" / "gpt2.Q8_0.gguf"
    kept.parent.mkdir(parents=True)
    kept.write_bytes(b"GGUF")
    one_plain_line(quillpen("models", "rm", name), "not a model name")
    assert kept.exists()


def test_export_to_a_fifo_is_refused_not_hung(tmp_path: Path) -> None:
    doc = tmp_path / "story.md"
    doc.write_text("Once upon a time.\n")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    one_plain_line(quillpen("export", str(doc), "--out", str(fifo), timeout=30), "not a regular")
