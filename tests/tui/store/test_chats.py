"""Chat histories on disk (tui/store/chats.py): private, atomic, and bad files load empty."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from models.prompting.transcript import Turn
from tui.store.chats import (
    UNTITLED,
    chat_path,
    delete_chat,
    document_key,
    load_chat,
    save_chat,
)


def test_document_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert document_key(None) == UNTITLED
    key = document_key(tmp_path / "story.md")
    assert len(key) == 64 and int(key, 16) >= 0
    monkeypatch.chdir(tmp_path)
    assert document_key("story.md") == key  # relative paths mean the same file
    assert document_key(tmp_path / "other.md") != key


def test_round_trip_private_and_atomic(user_dirs: dict[str, Path]) -> None:
    key = document_key("/tmp/story.md")
    turns = [
        Turn("user", "Hello ünïcode ✍"),
        Turn("assistant", "Hi!\n\n- a list"),
        Turn("assistant", "cut sh", stopped=True),
    ]
    assert save_chat(key, turns)
    path = chat_path(key)
    assert path == user_dirs["data"] / "quillpen" / "chats" / f"{key}.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert load_chat(key) == turns
    assert save_chat(key, turns[:1])
    assert load_chat(key) == turns[:1]
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp files left
    assert load_chat("never-saved") == []
    assert delete_chat(key) and not path.exists() and load_chat(key) == []
    assert delete_chat(key)  # nothing to delete is fine


def test_untitled_and_odd_keys(user_dirs: dict[str, Path]) -> None:
    assert save_chat(UNTITLED, [Turn("user", "hi")])
    assert chat_path(UNTITLED).name == "untitled.json"
    odd = "../../etc/passwd"
    assert chat_path(odd).parent == chat_path(UNTITLED).parent  # never escapes the folder
    assert save_chat(odd, [Turn("user", "x")]) and load_chat(odd) == [Turn("user", "x")]


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"\xff\xfe\x00garbage",
        b'{"turns": 5}',
        b"[1, 2, 3]",
        b'"just a string"',
        b"",
    ],
)
def test_corrupt_file_loads_empty(content: bytes) -> None:
    path = chat_path("doc")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    assert load_chat("doc") == []
    assert save_chat("doc", [Turn("user", "fresh start")])  # and it can be overwritten
    assert load_chat("doc") == [Turn("user", "fresh start")]


def test_bad_entries_skipped() -> None:
    path = chat_path("doc")
    path.parent.mkdir(parents=True, exist_ok=True)
    entries = [
        {"role": "user", "content": "ok"},
        {"role": "system", "content": "no"},
        {"role": "assistant", "content": 3},
        "junk",
        {"role": "assistant", "content": "fine", "stopped": True},
    ]
    path.write_text(json.dumps({"version": 1, "turns": entries}))
    assert load_chat("doc") == [Turn("user", "ok"), Turn("assistant", "fine", stopped=True)]


def test_unreadable_file_loads_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    assert save_chat("doc", [Turn("user", "hi")])

    def denied(*args: object, **kwargs: object) -> str:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_text", denied)
    assert load_chat("doc") == []


def test_save_failure_returns_false(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("tui.store.files.os.replace", broken)
    assert save_chat("doc", [Turn("user", "hi")]) is False
    assert list(chat_path("doc").parent.iterdir()) == []  # the temp file is cleaned up
