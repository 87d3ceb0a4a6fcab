"""Chat histories, one file per document key, in ``data_dir()/chats``.

Nothing here raises: an unreadable or corrupt history loads as an empty chat, and a failed save
returns ``False`` (the UI tells the user; it never crashes). Version 0 files (a bare list of
turns) and version 1 files (``{"version": 1, "turns": [...]}``) both load.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from models.locations import data_dir
from models.transcript import Turn
from tui.store.files import read_record, write_record
from tui.store.keys import UNTITLED, document_key, file_name

log = logging.getLogger("quillpen.chat_store")

__all__ = ["UNTITLED", "chat_path", "delete_chat", "document_key", "load_chat", "save_chat"]
VERSION = 1
_ROLES = ("user", "assistant")


def chat_path(key: str) -> Path:
    return data_dir() / "chats" / file_name(key)


def _turn(raw: Any) -> Turn | None:
    if not isinstance(raw, dict):
        return None
    role, content = raw.get("role"), raw.get("content")
    if role not in _ROLES or not isinstance(content, str):
        return None
    return Turn(role=role, content=content, stopped=raw.get("stopped") is True)


def load_chat(key: str) -> list[Turn]:
    """The saved history of ``key``; empty if there is none or it cannot be read."""
    path = chat_path(key)
    record = read_record(path)
    if record is None:
        if path.exists():
            log.warning("ignoring unreadable chat history %s", key)
        return []
    version, raw = record
    if version > VERSION:
        log.warning("chat history %s is from a newer quillpen (version %s)", key, version)
    items = raw.get("turns") if isinstance(raw, dict) else raw
    if not isinstance(items, list):
        log.warning("ignoring chat history %s: unexpected layout", key)
        return []
    return [turn for item in items if (turn := _turn(item)) is not None]


def save_chat(key: str, turns: Sequence[Turn]) -> bool:
    """Write the history of ``key`` atomically (0600). False if it could not be saved."""
    data = {
        "turns": [
            {"role": t.role, "content": t.content, **({"stopped": True} if t.stopped else {})}
            for t in turns
        ],
    }
    try:
        write_record(chat_path(key), VERSION, data)
    except (OSError, ValueError) as exc:
        log.warning("could not save chat history %s: %s", key, exc)
        return False
    return True


def delete_chat(key: str) -> bool:
    """Forget the saved history of ``key``. False if a file exists but could not be removed."""
    try:
        chat_path(key).unlink(missing_ok=True)
        return True
    except OSError as exc:
        log.warning("could not delete chat history %s: %s", key, exc)
        return False
