"""Per-document memory and author's note, in ``data_dir()/notes``.

Memory stays at the top of every prompt (characters, setting, style); the author's note is
placed a few lines before the cursor to steer what comes next (KoboldCpp's recipe); banned
phrases are never written in this document. Version 0 files (``{"memory", "note"}`` without a
version) and version 1 files (no bans) still load.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import NamedTuple

from tui.store.files import read_record, write_record
from tui.store.keys import store_path

log = logging.getLogger("quillpen.store.notes")
VERSION = 2


class StoryNotes(NamedTuple):  # (made at import 6x faster than a frozen dataclass)
    memory: str = ""
    note: str = ""
    bans: tuple[str, ...] = ()
    """Phrases the model must never write in this document (with the config's ``bans``)."""


def notes_path(key: str) -> Path:
    return store_path("notes", key)


def load_notes(key: str) -> StoryNotes:
    record = read_record(notes_path(key))
    raw = record[1] if record else None
    if not isinstance(raw, dict):
        return StoryNotes()
    memory, note, bans = raw.get("memory", ""), raw.get("note", ""), raw.get("bans", [])
    return StoryNotes(
        memory if isinstance(memory, str) else "",
        note if isinstance(note, str) else "",
        tuple(b for b in bans if isinstance(b, str) and b) if isinstance(bans, list) else (),
    )


def save_notes(key: str, notes: StoryNotes) -> bool:
    try:
        data = {"memory": notes.memory, "note": notes.note, "bans": list(notes.bans)}
        write_record(notes_path(key), VERSION, data)
    except OSError as exc:
        log.warning("could not save story notes: %s", exc)
        return False
    return True
