"""Small things a new user noticed: tiny probabilities, the size limit's number."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from models.errors import QuillpenError
from tui.document import Document
from tui.screens.token_choice import percent

ROOT = Path(__file__).resolve().parents[2]


def test_tiny_probabilities_are_not_zero() -> None:
    assert percent(0.0001) == "<0.1%"
    assert percent(0.0004) == "<0.1%"
    assert percent(0.0006) == "0.1%"
    assert percent(0.25) == "25.0%"


def test_the_size_refusal_says_the_limit_safety_md_says(tmp_path: Path) -> None:
    documented = re.search(r"files over (\d+) MB", (ROOT / "docs" / "safety.md").read_text())
    assert documented
    path = tmp_path / "huge.txt"
    with path.open("wb") as fh:
        fh.truncate((int(documented[1]) + 1) * 1024 * 1024)
    with pytest.raises(QuillpenError, match=f"up to {documented[1]} MB"):
        Document.open(path)
