"""Small choices the app remembers between starts (the theme picked from the palette)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from models import locations
from tui.store.files import read_json, write_json

log = logging.getLogger("quillpen.ui_state")
VERSION = 1


def path() -> Path:
    return locations.state_dir() / "ui.json"


def load() -> dict[str, Any]:
    data = read_json(path())
    return data if isinstance(data, dict) and data.get("version") == VERSION else {}


def save(**changes: Any) -> None:
    """Merge ``changes`` into the file; a failure to write is logged, never raised."""
    data = {**load(), **changes, "version": VERSION}
    try:
        write_json(path(), data)
    except OSError as exc:
        log.warning("cannot remember %s: %s", ", ".join(changes), exc)
