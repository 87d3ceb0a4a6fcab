"""The recovery journal: a copy of a document's unsaved text, in ``state_dir()/recovery``.

Written within half a second of every change, before every generation and on a hang-up; read
back when the document opens again. Version 0 files (``{"path", "time", "text"}`` without a
version) still load.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

from models import locations
from tui.store.files import read_record, write_record
from tui.store.keys import document_key, file_name

VERSION = 1


def journal_path(path: Path | None) -> Path:
    """The journal of the document saved at ``path`` (None: the untitled document)."""
    return locations.state_dir() / "recovery" / file_name(document_key(path))


def write_journal(path: Path | None, text: str) -> None:
    """Keep a copy of unsaved ``text`` (atomic, user-only)."""
    record = {"path": str(path) if path else None, "time": time.time(), "text": text}
    write_record(journal_path(path), VERSION, record)


def read_journal(path: Path | None) -> str | None:
    """Recovered text newer than the file at ``path``, or None."""
    record = read_record(journal_path(path))
    try:
        data = record[1]  # type: ignore[index]
        text = data["text"]
        saved_at = float(data["time"])
    except (KeyError, TypeError, ValueError):
        return None
    if not isinstance(text, str):
        return None
    if path is not None and path.exists() and path.stat().st_mtime >= saved_at:
        return None
    return text


def clear_journal(path: Path | None) -> None:
    with contextlib.suppress(OSError):
        journal_path(path).unlink()
