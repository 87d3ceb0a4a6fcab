"""The code stays ruff-clean, formatted and typed (settings in pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True)


def test_ruff_check() -> None:
    res = run("ruff", "check", ".")
    assert res.returncode == 0, res.stdout + res.stderr


def test_ruff_format() -> None:
    res = run("ruff", "format", "--check", ".")
    assert res.returncode == 0, res.stdout + res.stderr


def test_mypy() -> None:
    res = run("mypy")
    assert res.returncode == 0, res.stdout + res.stderr


def test_models_never_import_tui() -> None:
    for path in (ROOT / "models").glob("*.py"):
        text = path.read_text()
        assert "import tui" not in text and "from tui" not in text, path
