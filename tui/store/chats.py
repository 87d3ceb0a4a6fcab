"""Chat histories, one file per document key, in ``data_dir()/chats``.

Nothing here raises: an unreadable or corrupt history loads as an empty chat, and a failed save
returns ``False`` (the UI tells the user; it never crashes). Version 0 files (a bare list of
turns), version 1 files (``{"version": 1, "turns": [...]}``) and version 2 files all load.

Version 2 keeps every version of a regenerated reply: such an assistant turn also carries
``"versions"`` (each version's ``content`` and ``stopped``, oldest first) and ``"shown"`` (the
index of the one the chat shows). Its own ``content`` is still the version shown, so the turns
read the same without the versions (an older quillpen reads the chat as it is shown).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models.prompting.transcript import Turn
from tui.store.files import read_record, write_record
from tui.store.keys import UNTITLED, document_key, store_path

log = logging.getLogger("quillpen.chat_store")

__all__ = [
    "UNTITLED",
    "ChatRecord",
    "ReplyVersions",
    "chat_path",
    "delete_chat",
    "document_key",
    "load_chat",
    "load_chat_record",
    "save_chat",
]
VERSION = 2
_ROLES = ("user", "assistant")


@dataclass(frozen=True)
class ReplyVersions:
    """Every version of one reply, oldest first, and which one is shown (and in the history)."""

    replies: tuple[Turn, ...]
    shown: int

    @property
    def current(self) -> Turn:
        return self.replies[self.shown]

    @property
    def label(self) -> str:
        return f"reply {self.shown + 1} of {len(self.replies)}"

    def add(self, reply: Turn) -> ReplyVersions:
        """These versions with ``reply`` after them, shown."""
        return ReplyVersions((*self.replies, reply), len(self.replies))

    def step(self, delta: int) -> ReplyVersions | None:
        """The version ``delta`` away from the one shown; None past the first or last."""
        shown = self.shown + delta
        if not 0 <= shown < len(self.replies):
            return None
        return ReplyVersions(self.replies, shown)


@dataclass
class ChatRecord:
    """A chat as saved: the turns as shown, and the versions of regenerated replies."""

    turns: list[Turn] = field(default_factory=list)
    versions: dict[int, ReplyVersions] = field(default_factory=dict)
    """By the index of the reply in ``turns``; only replies with more than one version."""

    def last_message(self) -> int | None:
        """The index of the writer's last message (its reply, if any, is the turn after it)."""
        return next(
            (i for i in reversed(range(len(self.turns))) if self.turns[i].role == "user"), None
        )

    def add_reply(self, reply: Turn, replacing: int | None = None) -> ReplyVersions | None:
        """Append ``reply``; or, with ``replacing``, make it the newest version of the reply
        there, shown, and return that reply's versions."""
        if replacing is None:
            self.turns.append(reply)
            return None
        before = self.versions.get(replacing, ReplyVersions((self.turns[replacing],), 0))
        self.show(replacing, versions := before.add(reply))
        return versions

    def show(self, index: int, versions: ReplyVersions) -> None:
        """Show (and continue the chat from) ``versions.current`` as the reply at ``index``."""
        self.versions[index], self.turns[index] = versions, versions.current


def chat_path(key: str) -> Path:
    return store_path("chats", key)


def _turn(raw: Any) -> Turn | None:
    if not isinstance(raw, dict):
        return None
    role, content = raw.get("role"), raw.get("content")
    if role not in _ROLES or not isinstance(content, str):
        return None
    return Turn(role=role, content=content, stopped=raw.get("stopped") is True)


def _versions(raw: dict[str, Any], turn: Turn) -> ReplyVersions | None:
    """The versions stored with ``turn``; None when there are none or they do not fit it."""
    items, shown = raw.get("versions"), raw.get("shown")
    if turn.role != "assistant" or not isinstance(items, list) or type(shown) is not int:
        return None
    replies = tuple(
        Turn("assistant", item["content"], stopped=item.get("stopped") is True)
        for item in items
        if isinstance(item, dict) and isinstance(item.get("content"), str)
    )
    if len(replies) != len(items) or len(replies) < 2 or not 0 <= shown < len(replies):
        return None
    versions = ReplyVersions(replies, shown)
    return versions if versions.current == turn else None


def load_chat_record(key: str) -> ChatRecord:
    """The saved chat of ``key``; empty if there is none or it cannot be read."""
    path = chat_path(key)
    record = read_record(path)
    if record is None:
        if path.exists():
            log.warning("ignoring unreadable chat history %s", key)
        return ChatRecord()
    version, raw = record
    if version > VERSION:
        log.warning("chat history %s is from a newer quillpen (version %s)", key, version)
    items = raw.get("turns") if isinstance(raw, dict) else raw
    if not isinstance(items, list):
        log.warning("ignoring chat history %s: unexpected layout", key)
        return ChatRecord()
    chat = ChatRecord()
    for item in items:
        turn = _turn(item)
        if turn is None:
            continue
        if "versions" in item and (versions := _versions(item, turn)) is not None:
            chat.versions[len(chat.turns)] = versions
        elif "versions" in item:
            log.warning("chat history %s: ignoring versions that do not fit their reply", key)
        chat.turns.append(turn)
    return chat


def load_chat(key: str) -> list[Turn]:
    """The saved history of ``key`` as shown; empty if there is none or it cannot be read."""
    return load_chat_record(key).turns


def _entry(turn: Turn) -> dict[str, Any]:
    return {"content": turn.content, **({"stopped": True} if turn.stopped else {})}


def save_chat(
    key: str, turns: Sequence[Turn], versions: Mapping[int, ReplyVersions] | None = None
) -> bool:
    """Write the history of ``key`` atomically (0600). False if it could not be saved.

    ``versions`` (by turn index) are kept with the replies they belong to: those whose shown
    version is not the turn at their index are left out.
    """
    kept = {i: v for i, v in (versions or {}).items() if i < len(turns) and v.current == turns[i]}
    data = {
        "turns": [
            {
                "role": t.role,
                **_entry(t),
                **(
                    {"versions": [_entry(r) for r in kept[i].replies], "shown": kept[i].shown}
                    if i in kept
                    else {}
                ),
            }
            for i, t in enumerate(turns)
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
