"""The key of a document: what names its chats, notes and journal in the store."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from models.locations import data_dir

UNTITLED = "untitled"
_SAFE_KEY = re.compile(r"[A-Za-z0-9_-]{1,128}")


def document_key(path: str | os.PathLike[str] | None) -> str:
    """SHA-256 of the absolute path (the store reveals no file names), or ``untitled``."""
    if path is None or str(path) == "":
        return UNTITLED
    absolute = os.path.abspath(os.fspath(path))
    return hashlib.sha256(absolute.encode("utf-8", "surrogateescape")).hexdigest()


def file_name(key: str) -> str:
    """``key`` as a safe file name: a key that is not one is hashed first."""
    if not _SAFE_KEY.fullmatch(key):
        key = hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()
    return f"{key}.json"


def store_path(folder: str, key: str) -> Path:
    """Where the store ``folder`` (notes, marks, chats, branches) keeps the document ``key``'s."""
    return data_dir() / folder / file_name(key)
