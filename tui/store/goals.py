"""Word goals: each document's own goal, and where each document's count stood when the day
began (so "412 / 1,000 today" survives a restart).

Kept in ``data_dir()/goals.json`` as ``{"version": 1, "documents": {key: goal},
"days": {"2026-12-05": {key: words at the day's start}}}``; days older than a week are dropped.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from models.locations import data_dir
from tui.store.files import read_record, write_record

log = logging.getLogger("quillpen.store.goals")
VERSION = 1
DAYS_KEPT = 7


def path() -> Path:
    return data_dir() / "goals.json"


def _load() -> dict[str, Any]:
    record = read_record(path())
    data = record[1] if record and isinstance(record[1], dict) else {}
    documents = data.get("documents")
    days = data.get("days")
    return {
        "documents": documents if isinstance(documents, dict) else {},
        "days": days if isinstance(days, dict) else {},
    }


def _save(data: dict[str, Any]) -> None:
    try:
        write_record(path(), VERSION, data)
    except OSError as exc:
        log.warning("cannot store the word goals: %s", exc)


def document_goal(key: str) -> int | None:
    """The goal set for the document ``key`` (0: none, even if config.toml has one)."""
    goal = _load()["documents"].get(key)
    return goal if isinstance(goal, int) and not isinstance(goal, bool) and goal >= 0 else None


def set_document_goal(key: str, goal: int) -> None:
    data = _load()
    data["documents"][key] = goal
    _save(data)


def day_start(key: str, day: str, words: int) -> int:
    """The document's count when ``day`` began for it: stored the first time it is asked
    (``words``, the count now), read back after."""
    data = _load()
    days: dict[str, Any] = data["days"]
    today = days.get(day)
    if not isinstance(today, dict):
        today = days[day] = {}
    start = today.get(key)
    if isinstance(start, int) and not isinstance(start, bool):
        return start
    today[key] = words
    for old in sorted(days)[:-DAYS_KEPT]:
        del days[old]
    _save(data)
    return words
