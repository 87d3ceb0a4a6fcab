"""Which parts of a saved document the model wrote, kept beside it (never inside it).

Saved with the document as character ranges plus the SHA-256 of the text they belong to, and
given back only for that exact text: a file changed elsewhere simply opens without marks.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path

from tui.store.files import read_record, write_record
from tui.store.keys import store_path

log = logging.getLogger("quillpen.store.marks")
VERSION = 1
Range = tuple[int, int]


def marks_path(key: str) -> Path:
    return store_path("marks", key)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def save_marks(key: str, text: str, ranges: Sequence[Range]) -> bool:
    """Remember ``ranges`` (start, end character offsets) of generated text in ``text``."""
    path = marks_path(key)
    try:
        if not ranges:
            path.unlink(missing_ok=True)
            return True
        data = {"sha256": _digest(text), "ranges": [[a, b] for a, b in ranges]}
        write_record(path, VERSION, data)
    except OSError as exc:
        log.warning("could not save the generated-text marks: %s", exc)
        return False
    return True


def load_marks(key: str, text: str) -> list[Range]:
    """The ranges saved for exactly this ``text``; none for any other."""
    record = read_record(marks_path(key))
    raw = record[1] if record else None
    if not isinstance(raw, dict) or raw.get("sha256") != _digest(text):
        return []
    ranges = raw.get("ranges")
    if not isinstance(ranges, list):
        return []
    good = [
        (int(r[0]), int(r[1]))
        for r in ranges
        if isinstance(r, list) and len(r) == 2 and all(isinstance(x, int) for x in r)
    ]
    return [(a, b) for a, b in good if 0 <= a < b <= len(text)]
