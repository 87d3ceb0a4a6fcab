"""The files opened or saved lately, newest first (Ctrl+O's list; ``quillpen`` alone offers
them). Kept in ``data_dir()/recent.json`` as ``{"version": 1, "files": [absolute paths]}``."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from models.locations import data_dir
from tui.store.files import read_record, write_record

log = logging.getLogger("quillpen.store.recent")
VERSION = 1
KEPT = 20


def path() -> Path:
    return data_dir() / "recent.json"


def load() -> list[Path]:
    """The recent files that still exist, newest first."""
    record = read_record(path())
    raw = record[1].get("files") if record and isinstance(record[1], dict) else None
    if not isinstance(raw, list):
        return []
    return [Path(p) for p in raw if isinstance(p, str) and os.path.isfile(p)]


def remember(file: Path) -> None:
    """Put ``file`` first in the list (a failure to write is logged, never raised)."""
    absolute = os.path.abspath(os.fspath(file))
    record = read_record(path())
    raw = record[1].get("files") if record and isinstance(record[1], dict) else None
    files = [p for p in raw if isinstance(p, str)] if isinstance(raw, list) else []
    if files[:1] == [absolute]:
        return
    files = [absolute, *(p for p in files if p != absolute)][:KEPT]
    try:
        write_record(path(), VERSION, {"files": files})
    except OSError as exc:
        log.warning("cannot remember the recent files: %s", exc)
