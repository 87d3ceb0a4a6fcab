"""Textual's private API is reached in one module, checked against one Textual release."""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

from tui.textual_private import TEXTUAL_VERSION

TUI = Path(__file__).resolve().parents[2] / "tui"
REACHES = re.compile(
    r"\b(def _refresh_size|def _on_resize|\._loop\b|_line_cache|_undo_stack|_offset_to_line_info"
    r"|_rewrap_and_refresh_virtual_size|_character_to_key|_wrapped_document|_render_line)"
)
"""Textual's private names quillpen uses (tui/textual_private.py says why for each)."""


def test_textual_is_the_release_the_private_reaches_were_checked_against() -> None:
    installed = version("textual")
    assert installed == TEXTUAL_VERSION, (
        f"Textual {installed} is installed; tui/textual_private.py was checked against "
        f"{TEXTUAL_VERSION}. Check each reach there against the new release, then change "
        "TEXTUAL_VERSION."
    )


def test_no_module_but_textual_private_reaches_into_textual() -> None:
    reaching = {
        str(path.relative_to(TUI)): sorted(set(REACHES.findall(text)))
        for path in TUI.rglob("*.py")
        if path.name != "textual_private.py"
        and REACHES.search(text := path.read_text(encoding="utf-8"))
    }
    assert reaching == {}
