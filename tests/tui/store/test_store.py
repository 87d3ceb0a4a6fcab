"""The per-document store: every file carries a version, and files older versions wrote load."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from models.locations import data_dir, state_dir
from models.prompting.transcript import Turn
from tui.store import chats, journal, notes
from tui.store.keys import document_key


def _write(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")


def test_files_from_before_versions_still_load(tmp_path: Path) -> None:
    story = tmp_path / "story.md"
    key = document_key(story)
    # What quillpen 0.1 wrote: a chat as a bare list, notes and a journal without a version.
    _write(data_dir() / "chats" / f"{key}.json", [{"role": "user", "content": "Hi"}])
    _write(data_dir() / "notes" / f"{key}.json", {"memory": "Mara keeps a lighthouse.", "note": ""})
    _write(
        state_dir() / "recovery" / f"{key}.json",
        {"path": str(story), "time": 4102444800.0, "text": "Unsaved line"},  # (year 2100)
    )
    assert chats.load_chat(key) == [Turn("user", "Hi")]
    assert notes.load_notes(key).memory == "Mara keeps a lighthouse."
    assert journal.read_journal(story) == "Unsaved line"


def test_version_one_chats_load_and_every_write_is_versioned_and_private(tmp_path: Path) -> None:
    story = tmp_path / "story.md"
    key = document_key(story)
    chat_file = data_dir() / "chats" / f"{key}.json"
    _write(chat_file, {"version": 1, "turns": [{"role": "assistant", "content": "Yes."}]})
    assert chats.load_chat(key) == [Turn("assistant", "Yes.")]

    assert chats.save_chat(key, [Turn("user", "Again?")])
    assert notes.save_notes(key, notes.StoryNotes("m", "n"))
    journal.write_journal(story, "draft")
    written = [chat_file, notes.notes_path(key), journal.journal_path(story)]
    for path in written:
        record = json.loads(path.read_text(encoding="utf-8"))
        assert isinstance(record["version"], int) and record["version"] >= 1, path
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert chats.load_chat(key) == [Turn("user", "Again?")]
    assert notes.load_notes(key) == notes.StoryNotes("m", "n")
    assert journal.read_journal(story) == "draft"


def test_a_record_from_a_newer_version_still_loads_what_it_can(tmp_path: Path) -> None:
    key = document_key(tmp_path / "s.md")
    _write(
        data_dir() / "chats" / f"{key}.json",
        {"version": 9, "turns": [{"role": "user", "content": "Hi", "mood": "new field"}]},
    )
    assert chats.load_chat(key) == [Turn("user", "Hi")]


def test_chat_version_two_keeps_every_version_of_a_reply_and_reads_older_files(
    tmp_path: Path,
) -> None:
    """Version 2 adds the versions of regenerated replies; each turn's own content stays the
    version shown, so the chat reads the same without them (version 1 files, older quillpens)."""
    key = document_key(tmp_path / "v.md")
    chat_file = data_dir() / "chats" / f"{key}.json"
    one, two = Turn("assistant", "One."), Turn("assistant", "Two, cut sh", stopped=True)
    turns = [Turn("user", "Hi"), one]
    versions = {1: chats.ReplyVersions((one, two), 0)}
    assert chats.save_chat(key, turns, versions)
    record = json.loads(chat_file.read_text(encoding="utf-8"))
    assert record["version"] == chats.VERSION == 2
    assert record["turns"][1] == {
        "role": "assistant",
        "content": "One.",
        "versions": [{"content": "One."}, {"content": "Two, cut sh", "stopped": True}],
        "shown": 0,
    }
    loaded = chats.load_chat_record(key)
    assert loaded.turns == turns and loaded.versions == versions
    assert chats.load_chat(key) == turns

    # A version 1 file: the same turns, no versions.
    _write(chat_file, {"version": 1, "turns": [{"role": "user", "content": "Hi"}]})
    assert chats.load_chat_record(key) == chats.ChatRecord([Turn("user", "Hi")], {})

    # Versions that do not fit their reply (edited by hand, cut short) are dropped, the turns
    # kept; versions that no longer fit the history are not written.
    bad = [
        {"versions": [{"content": "Other."}, {"content": "Two"}], "shown": 0},  # not the shown
        {"versions": [{"content": "One."}], "shown": 0},  # one alone is no versions
        {"versions": [{"content": "One."}, {"content": 2}], "shown": 0},
        {"versions": "One.", "shown": 0},
        {"versions": [{"content": "One."}, {"content": "Two"}], "shown": 5},
        {"versions": [{"content": "One."}, {"content": "Two"}], "shown": True},
    ]
    for extra in bad:
        entry = {"role": "assistant", "content": "One.", **extra}
        _write(chat_file, {"version": 2, "turns": [{"role": "user", "content": "Hi"}, entry]})
        assert chats.load_chat_record(key) == chats.ChatRecord(turns, {}), extra
    assert chats.save_chat(key, [Turn("user", "Hi"), two], versions)  # shown is not "Two"
    assert "versions" not in json.loads(chat_file.read_text(encoding="utf-8"))["turns"][1]
