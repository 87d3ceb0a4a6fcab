"""Chat histories, one JSON file per document, in ``data_dir()/chats``.

A document's file is named by the SHA-256 of its absolute path (``untitled`` for a document
without one), so the folder reveals no file names. Files are private (0600) and replaced
atomically. Nothing here raises: an unreadable or corrupt history loads as an empty chat, and a
failed save returns ``False`` (the UI tells the user; it never crashes).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from models.locations import data_dir
from models.transcript import Turn
from tui.private_files import write_json

log = logging.getLogger("quillpen.chat_store")

UNTITLED = "untitled"
VERSION = 1
_SAFE_KEY = re.compile(r"[A-Za-z0-9_-]{1,128}")
_ROLES = ("user", "assistant")


def document_key(path: str | os.PathLike[str] | None) -> str:
    """The chat key of the document at ``path``: SHA-256 of its absolute path, or ``untitled``."""
    if path is None or str(path) == "":
        return UNTITLED
    absolute = os.path.abspath(os.fspath(path))
    return hashlib.sha256(absolute.encode("utf-8", "surrogateescape")).hexdigest()


def chats_dir() -> Path:
    path = data_dir() / "chats"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def chat_path(key: str) -> Path:
    """The file of chat ``key``; a key that is not a safe file name is hashed first."""
    if not _SAFE_KEY.fullmatch(key):
        key = hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()
    return data_dir() / "chats" / f"{key}.json"


def _turn(raw: Any) -> Turn | None:
    if not isinstance(raw, dict):
        return None
    role, content = raw.get("role"), raw.get("content")
    if role not in _ROLES or not isinstance(content, str):
        return None
    return Turn(role=role, content=content, stopped=raw.get("stopped") is True)


def load_chat(key: str) -> list[Turn]:
    """The saved history of ``key``; empty if there is none or it cannot be read."""
    try:
        path = chat_path(key)
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:  # unreadable, not UTF-8, not JSON
        log.warning("ignoring unreadable chat history %s: %s", key, exc)
        return []
    items = raw.get("turns") if isinstance(raw, dict) else raw
    if not isinstance(items, list):
        log.warning("ignoring chat history %s: unexpected layout", key)
        return []
    return [turn for item in items if (turn := _turn(item)) is not None]


def save_chat(key: str, turns: Sequence[Turn]) -> bool:
    """Write the history of ``key`` atomically (0600). False if it could not be saved."""
    data = {
        "version": VERSION,
        "turns": [
            {"role": t.role, "content": t.content, **({"stopped": True} if t.stopped else {})}
            for t in turns
        ],
    }
    try:
        write_json(chat_path(key), data)
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
