"""The one writer of quillpen's small private files, and the reader of every version of them."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` to ``path`` via a temp file (mode 0600), fsync and rename."""
    import json  # (here and below: a new document opens without it, ≈ 3 M instructions)

    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)  # ASCII escapes: even lone surrogates survive
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def read_json(path: Path) -> Any:
    """The JSON in ``path``, or None when it is missing, unreadable or corrupt."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, ValueError):
        return None
    import json

    try:
        return json.loads(text)
    except ValueError:
        return None


def write_record(path: Path, version: int, data: dict[str, Any]) -> None:
    """Write one record, stamped with its format ``version``."""
    write_json(path, {"version": version, **data})


def read_record(path: Path) -> tuple[int, Any] | None:
    """``(version, data)`` of the file at ``path``; None when missing or unreadable.

    Files written before records carried a version read as version 0, whatever their layout
    (an object or, for the oldest chat files, a bare list): each store migrates its own.
    """
    data = read_json(path)
    if data is None:
        return None
    version = data.get("version", 0) if isinstance(data, dict) else 0
    return (version if isinstance(version, int) else 0), data


def write_text(path: Path, text: str) -> None:
    """Write a small text file the writer may edit too (atomic; permissions kept if it exists)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
