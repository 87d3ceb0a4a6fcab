"""The writer's own dictionary: words spelling never flags ("Add to dictionary").

Kept in ``data_dir()/dictionary.json`` as ``{"version": 1, "words": [...]}``.
"""

from __future__ import annotations

import logging
from pathlib import Path

from models.locations import data_dir
from tui.store.files import read_record, write_record

log = logging.getLogger("quillpen.store.personal_words")
VERSION = 1


def path() -> Path:
    return data_dir() / "dictionary.json"


def load() -> set[str]:
    """The words added so far (an unreadable file reads as none)."""
    record = read_record(path())
    raw = record[1].get("words") if record and isinstance(record[1], dict) else None
    if not isinstance(raw, list):
        return set()
    return {word for word in raw if isinstance(word, str) and word}


def add(word: str) -> bool:
    """Add ``word`` for good; False when it could not be written (kept for this session)."""
    words = load() | {word}
    try:
        write_record(path(), VERSION, {"words": sorted(words)})
    except OSError as exc:
        log.warning("could not save the personal dictionary: %s", exc)
        return False
    return True
