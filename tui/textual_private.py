"""The few places quillpen reaches into Textual's private API, all here (Textual 8.2.8).

Textual offers no public way to do these. ``pyproject.toml`` pins Textual's version; when it
changes, check each function below against the new release (tests/test_app.py's undo tests and
tests/test_config_checks.py's keymap tests fail if one breaks).
"""

from __future__ import annotations

from collections import deque

from textual.keys import _character_to_key
from textual.widgets import TextArea
from textual.widgets.text_area import Edit


def undo_batches(area: TextArea) -> deque[list[Edit]]:
    """The undo stack of ``area``: one list of edits per undo step (``EditHistory``)."""
    return area.history._undo_stack


def forget_rendered_lines(area: TextArea) -> None:
    """Make ``area`` style its lines again on the next refresh (its line cache)."""
    area._line_cache.clear()


def key_name(character: str) -> str:
    """The key name Textual gives a printable character (``"."`` → ``"full_stop"``)."""
    return _character_to_key(character)


def line_at_row(area: TextArea, y: int) -> tuple[int, int] | None:
    """(line index, wrapped section) shown on row ``y`` of ``area`` (None: below the text)."""
    try:
        return area.wrapped_document._offset_to_line_info[y + area.scroll_offset.y]
    except IndexError:
        return None


def rewrap(area: TextArea) -> None:
    """Wrap ``area``'s text again and redraw it (its gutter's width changed)."""
    area._rewrap_and_refresh_virtual_size()
    forget_rendered_lines(area)
    area.refresh()
