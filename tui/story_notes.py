"""Per-document memory and author's note, kept beside the chat history in the data dir.

Memory stays at the top of every prompt (characters, setting, style); the author's note is
placed a few lines before the cursor to steer what comes next (KoboldCpp's recipe).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from models.locations import data_dir
from tui.private_files import read_json, write_json

log = logging.getLogger("quillpen.story_notes")


@dataclass(frozen=True)
class StoryNotes:
    memory: str = ""
    note: str = ""


def notes_path(key: str) -> Path:
    return data_dir() / "notes" / f"{key}.json"


def load_notes(key: str) -> StoryNotes:
    raw = read_json(notes_path(key))
    if not isinstance(raw, dict):
        return StoryNotes()
    memory, note = raw.get("memory", ""), raw.get("note", "")
    return StoryNotes(
        memory if isinstance(memory, str) else "", note if isinstance(note, str) else ""
    )


def save_notes(key: str, notes: StoryNotes) -> bool:
    try:
        write_json(notes_path(key), {"memory": notes.memory, "note": notes.note})
    except OSError as exc:
        log.warning("could not save story notes: %s", exc)
        return False
    return True
