"""The chat: history on disk, and ChatPane driven through a real engine process and tiny model."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Markdown
from textual.widgets.markdown import MarkdownStream

from models.engine_client import GenerateRequest, Sink
from models.local.client import LocalEngine
from models.local.engine import Engine, StreamStats
from models.prompting.chat_prompt import build_chat_prompt
from models.prompting.prompts import ChatSpec, build
from models.prompting.transcript import CHAT_STOPS, Turn
from models.sampling import SamplerSettings
from tests.support import engine_hooks
from tests.support.helpers import wait_until
from tui.intents import AskChoice
from tui.messages import (
    GenerationChunk,
    GenerationFinished,
    GenerationStarted,
    ModelReady,
    deliver,
)
from tui.screens.dialogs import Choice
from tui.store.chats import (
    UNTITLED,
    ReplyVersions,
    chat_path,
    delete_chat,
    document_key,
    load_chat,
    load_chat_record,
    save_chat,
)
from tui.widgets.chat import (
    CSS_FILE,
    STOPPED_NOTE,
    AssistantMessage,
    ChatPane,
    ErrorLine,
    UserMessage,
)

# Chat store --------------------------------------------------------------------------------


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


# ChatPane ----------------------------------------------------------------------------------


class _Host(App[object]):
    CSS_PATH = CSS_FILE

    def __init__(
        self,
        model: Path | None,
        *,
        key: str = "doc",
        draft: str = "",
        max_tokens: int = 24,
        engine: Any = None,
    ) -> None:
        super().__init__()
        self.model = model
        self.key = key
        self.draft = draft
        self.max_tokens = max_tokens
        self.engine = engine or LocalEngine(deliver(self))
        self.sampler = SamplerSettings(seed=7)
        self.ready = model is None
        self.inserted: list[str] = []

    def compose(self) -> ComposeResult:
        yield ChatPane(
            self.key,
            lambda: self.draft,
            self.engine,
            lambda: self.sampler,
            max_tokens=self.max_tokens,
        )

    def on_mount(self) -> None:
        if isinstance(self.engine, LocalEngine) and self.model is not None:
            self.engine.load(self.model)
        self.query_one(ChatPane).input.focus()

    def on_unmount(self) -> None:
        if isinstance(self.engine, LocalEngine):
            self.engine.close()

    def on_model_ready(self, message: ModelReady) -> None:
        self.ready = True

    def on_chat_pane_insert_reply(self, message: ChatPane.InsertReply) -> None:
        self.inserted.append(message.text)

    def on_ask_choice(self, message: AskChoice) -> None:
        """The pane asks before clearing (as the main screen opens it in the app)."""
        self.push_screen(Choice(message.question, message.answers), message.reply)


def replies(pane: ChatPane) -> list[AssistantMessage]:
    return list(pane.query(AssistantMessage))


async def send(pilot: Any, pane: ChatPane, text: str) -> None:
    pane.input.focus()
    await pilot.press(*text)
    await pilot.press("enter")


@pytest.fixture
def spies(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    """Record every Markdown.update (full render) and MarkdownStream.write (delta)."""
    calls: dict[str, list[Any]] = {"update": [], "write": []}
    update, write = Markdown.update, MarkdownStream.write

    def spy_update(self: Markdown, markdown: str) -> Any:
        calls["update"].append((self, markdown))
        return update(self, markdown)

    async def spy_write(self: MarkdownStream, fragment: str) -> None:
        calls["write"].append((self.markdown_widget, fragment))
        await write(self, fragment)

    monkeypatch.setattr(Markdown, "update", spy_update)
    monkeypatch.setattr(MarkdownStream, "write", spy_write)
    return calls


def prompt_text(pane: ChatPane, engine: Engine) -> str:
    """The transcript the engine built for the pane's last request (built again here)."""
    spec = pane.last_spec
    assert spec is not None
    return build_chat_prompt(
        engine, list(spec.history), spec.message, draft=spec.draft, max_new=pane.max_tokens
    ).text


async def test_send_streams_a_reply(
    tiny_gguf: Path, tiny_engine: Engine, spies: dict[str, list[Any]]
) -> None:
    app = _Host(tiny_gguf, max_tokens=40)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_until(pilot, lambda: app.ready)
        pane = app.query_one(ChatPane)
        await pilot.press(*"Hi")
        await pilot.press("ctrl+j")
        await pilot.press(*"there")
        assert pane.input.text == "Hi\nthere"  # Ctrl+J is a newline, not send
        await pilot.press("enter")
        assert pane.input.text == ""
        await wait_until(pilot, lambda: len(pane.history) == 2)
        assert not pane.streaming
        assert pane.history[0] == Turn("user", "Hi\nthere")
        user = pane.query_one(UserMessage)
        assert user.text == "Hi\nthere"
        [reply] = replies(pane)
        text = pane.history[1].content
        assert pane.history[1].role == "assistant" and text and text == text.strip()
        assert reply.text == text and reply.markdown.source == text
        assert not reply.stopped and not reply.has_class("-noted")
        # Streamed as deltas; the whole reply rendered once, at the end.
        assert [w for w, _ in spies["write"]] and all(
            w is reply.markdown for w, _ in spies["write"]
        )
        renders = [md for w, md in spies["update"] if w is reply.markdown]
        assert renders[-1] == text and len([r for r in renders if r]) == 1
        assert prompt_text(pane, tiny_engine).endswith("User: Hi\nthere\nAssistant:")
        assert pane.last_facts is not None and pane.last_facts.prompt_tokens > 0
        # A second message continues the conversation.
        await send(pilot, pane, "More")
        await wait_until(pilot, lambda: len(pane.history) == 4)
        assert len(replies(pane)) == 2 and len(pane.query(UserMessage)) == 2
        assert f"Assistant: {text}\nUser: More" in prompt_text(pane, tiny_engine)


async def test_escape_stops_a_long_reply(tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine_hooks.use(monkeypatch, "slow")  # a big model's pace: ~50 tokens/s
    app = _Host(tiny_gguf, max_tokens=800)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_until(pilot, lambda: app.ready)
        pane = app.query_one(ChatPane)
        await send(pilot, pane, "Tell me a long story")
        await wait_until(
            pilot, lambda: bool(replies(pane)) and bool(replies(pane)[0].markdown.source)
        )
        assert pane.streaming  # text is showing while the reply still streams
        # (pilot.press waits for an idle process, up to 2 s a key while the model runs)
        pane.input.load_text("again")
        await pilot.press("enter")  # ignored while streaming: one reply at a time
        assert pane.input.text == "again" and len(pane.query(UserMessage)) == 1
        await pilot.press("escape")
        await wait_until(pilot, lambda: not pane.streaming)
        [reply] = replies(pane)
        assert reply.stopped and reply.has_class("-noted")
        assert str(reply.note.render()) == STOPPED_NOTE
        assert len(pane.history) == 2 and pane.history[1].stopped
        assert pane.history[1].content == reply.text != ""
        assert pane.last_stats.stopped_by == "cancel"
        assert pane.last_stats.generated_tokens < 800
        # Escape with nothing streaming is not ours: no error, nothing changes.
        await pilot.press("escape")
        assert len(pane.history) == 2


async def test_regenerate_insert_copy_clear(tiny_gguf: Path) -> None:
    app = _Host(tiny_gguf, key="doc-r")
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_until(pilot, lambda: app.ready)
        pane = app.query_one(ChatPane)
        await pilot.press("ctrl+r")  # nothing to regenerate: a notice, no crash
        await pilot.press("ctrl+t", "ctrl+k")
        assert app.inserted == [] and len(app._notifications) == 3
        await send(pilot, pane, "Name my cat")
        await wait_until(pilot, lambda: len(pane.history) == 2)
        [first] = replies(pane)

        await pilot.press("ctrl+r")  # a second version of the reply (the first is kept)
        await wait_until(pilot, lambda: len(versions_of_last(pane)) == 2)
        await wait_until(pilot, lambda: not pane.streaming)
        [second] = replies(pane)
        assert second is not first and not first.is_attached
        assert [t.role for t in pane.history] == ["user", "assistant"]
        assert pane.history[0].content == "Name my cat"
        assert second.text == pane.history[1].content != ""
        assert load_chat("doc-r") == pane.history

        await pilot.press("ctrl+t")
        await pilot.pause()
        assert app.inserted == [pane.history[1].content]

        await pilot.press("ctrl+k")
        assert app.clipboard == pane.history[1].content
        assert any(n.message == "Copied" for n in app._notifications)

        await pilot.press("ctrl+l")  # asks first; Esc keeps everything
        await wait_until(pilot, lambda: isinstance(app.screen, Choice))
        await pilot.press("escape")
        await pilot.pause()
        assert len(pane.history) == 2 and chat_path("doc-r").exists()
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: isinstance(app.screen, Choice))
        await pilot.click("#clear")
        await wait_until(pilot, lambda: not pane.log_view.children)
        assert pane.history == []
        assert not chat_path("doc-r").exists() and load_chat("doc-r") == []


async def test_history_restored_per_document(tiny_gguf: Path) -> None:
    app = _Host(tiny_gguf, key="doc-a")
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_until(pilot, lambda: app.ready)
        pane = app.query_one(ChatPane)
        await send(pilot, pane, "Remember me")
        await wait_until(pilot, lambda: len(pane.history) == 2)
        saved = list(pane.history)
    assert load_chat("doc-a") == saved

    again = _Host(None, key="doc-a")
    async with again.run_test(size=(100, 40)) as pilot:
        pane = again.query_one(ChatPane)
        await wait_until(pilot, lambda: len(pane.log_view.children) == 2)
        assert pane.history == saved
        assert pane.query_one(UserMessage).text == "Remember me"
        assert replies(pane)[0].markdown.source == saved[1].content
        assert pane.last_reply == saved[1].content

        # Switching documents shows the other document's chat.
        pane.set_document("doc-b")
        await wait_until(pilot, lambda: not pane.log_view.children)
        assert pane.history == []
        pane.set_document("doc-a")
        await wait_until(pilot, lambda: len(pane.log_view.children) == 2)
        # "Save as": the chat moves with the document.
        pane.set_document("doc-c", keep_history=True)
        await pilot.pause()
        assert pane.history == saved and load_chat("doc-c") == saved
        assert load_chat("doc-a") == []

    other = _Host(None, key="doc-b")
    async with other.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        assert other.query_one(ChatPane).history == []


async def test_no_model_shows_error_line() -> None:
    app = _Host(None, key="doc-e")
    async with app.run_test(size=(100, 40)) as pilot:
        pane = app.query_one(ChatPane)
        await send(pilot, pane, "Anyone there?")
        await wait_until(pilot, lambda: bool(pane.query(ErrorLine)))
        assert not pane.streaming
        line = pane.query_one(ErrorLine)
        assert "no model is loaded" in str(line.render())
        assert replies(pane) == []  # no empty reply left behind
        assert pane.history == [Turn("user", "Anyone there?")]
        # Ctrl+R retries the message (and fails the same way, without duplicating it).
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: not pane.streaming)
        await pilot.pause()
        assert len(pane.query(ErrorLine)) == 1 and len(pane.query(UserMessage)) == 1


class _RecordingEngine:
    """Records requests; the test plays the engine's part by posting messages."""

    def __init__(self) -> None:
        self.requests: list[GenerateRequest] = []
        self.sinks: list[Sink] = []
        self.cancelled = 0

    def submit(self, request: GenerateRequest, sink: Sink, *, exclusive: bool = True) -> int:
        self.requests.append(request)
        self.sinks.append(sink)
        return request.id

    def cancel(self, request_ids: Any = None) -> None:
        self.cancelled += 1


async def test_chunks_are_sanitized_and_cleaned(tiny_engine: Engine) -> None:
    fake = _RecordingEngine()
    app = _Host(None, draft="Once upon a time. The dragon slept.", engine=fake)
    async with app.run_test(size=(100, 40)) as pilot:
        pane = app.query_one(ChatPane)
        pane.include_draft = True
        await send(pilot, pane, "Ideas?")
        await wait_until(pilot, lambda: bool(fake.requests))
        [request] = fake.requests
        assert request.max_tokens == 24
        assert request.settings == app.sampler and tuple(request.stop) == CHAT_STOPS
        assert isinstance(request.prompt, ChatSpec) and request.prompt == pane.last_spec
        tokens = build(request.prompt, tiny_engine, 24).tokens  # as the engine builds it
        assert tokens and "The dragon slept.\n[End of draft.]" in prompt_text(pane, tiny_engine)

        rid = request.id
        pane.post_message(GenerationStarted(rid, len(tokens), 0))
        for piece in [" \x1b[31mRed\x1b[0m", " text\x1b]52;c;SGk=\x07 and\x07", " more.\nUs"]:
            pane.post_message(GenerationChunk(rid, piece, 1, 1.0))
        pane.post_message(GenerationChunk(rid + 1000, "not ours", 1, 1.0))
        await pilot.pause()
        [reply] = replies(pane)
        assert "\x1b" not in reply.markdown.source and "\x07" not in reply.markdown.source
        pane.post_message(GenerationFinished(rid, StreamStats(stopped_by="length")))
        await wait_until(pilot, lambda: not pane.streaming)
        await pilot.pause()
        assert reply.markdown.source == "Red text and more."
        assert pane.history[-1] == Turn("assistant", "Red text and more.")

        # Stopping before any text arrives (still queued): finished at once, marked stopped.
        await send(pilot, pane, "Again")
        await wait_until(pilot, lambda: len(fake.requests) == 2)
        await pilot.press("escape")
        assert fake.cancelled == 1 and not pane.streaming
        assert replies(pane)[-1].has_class("-noted")
        pane.post_message(GenerationChunk(fake.requests[1].id, "late", 1, 1.0))
        await pilot.pause()
        assert replies(pane)[-1].markdown.source == ""
        assert [t.role for t in pane.history] == ["user", "assistant", "user"]


# Reply versions: Ctrl+R never loses a reply -------------------------------------------------


def last_notice(app: App[object]) -> str:
    return str(list(app._notifications)[-1].message)


def subtitles(pane: ChatPane) -> list[str]:
    return [str(r.border_subtitle or "") for r in replies(pane)]


def versions_of_last(pane: ChatPane) -> tuple[Turn, ...]:
    """Every version of the last reply (the reply alone when it has no others)."""
    versions = pane.chat.versions.get(len(pane.history) - 1)
    return versions.replies if versions else tuple(pane.history[-1:])


async def regenerate(pilot: Any, app: _Host, pane: ChatPane, seed: int) -> None:
    """Ctrl+R with another seed (the host's is fixed), until the new version has arrived."""
    count = len(versions_of_last(pane))
    app.sampler = SamplerSettings(seed=seed, temperature=1.5, top_k=0, top_p=1.0, min_p=0.0)
    await pilot.press("ctrl+r")
    await wait_until(pilot, lambda: len(versions_of_last(pane)) == count + 1)
    await wait_until(pilot, lambda: not pane.streaming)


async def test_regenerate_keeps_the_versions_and_alt_arrows_go_back(tiny_gguf: Path) -> None:
    app = _Host(tiny_gguf, key="doc-v")
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_until(pilot, lambda: app.ready)
        pane = app.query_one(ChatPane)
        await send(pilot, pane, "Name my cat")
        await wait_until(pilot, lambda: len(pane.history) == 2)
        first = pane.history[1]
        assert subtitles(pane) == [""]  # one version: no label

        await regenerate(pilot, app, pane, seed=8)
        second = pane.history[1]
        assert second.content and second != first and len(pane.history) == 2
        [shown] = replies(pane)
        assert shown.markdown.source == second.content and subtitles(pane) == ["reply 2 of 2"]
        assert pane.chat.versions[1].replies == (first, second)
        assert load_chat_record("doc-v").versions == pane.chat.versions  # saved at once

        await pilot.press("alt+left")  # back to the first reply, shown and saved
        await wait_until(pilot, lambda: pane.history[1] == first)
        await wait_until(pilot, lambda: replies(pane)[0].markdown.source == first.content)
        assert subtitles(pane) == ["reply 1 of 2"] and len(replies(pane)) == 1
        assert load_chat("doc-v") == [Turn("user", "Name my cat"), first]
        await pilot.press("ctrl+k")  # the actions act on the reply shown
        assert app.clipboard == first.content

        await pilot.press("alt+left")  # nothing before the first: a notice, nothing moves
        await pilot.pause()
        assert pane.history[1] == first and "first version" in last_notice(app)
        await pilot.press("alt+right")
        await wait_until(pilot, lambda: pane.history[1] == second)
        assert subtitles(pane) == ["reply 2 of 2"]

        await regenerate(pilot, app, pane, seed=9)
        third = pane.history[1]
        assert pane.chat.versions[1].replies == (first, second, third)
        assert subtitles(pane) == ["reply 3 of 3"]
        saved = load_chat_record("doc-v")
        assert saved.turns == pane.history and saved.versions == pane.chat.versions

    again = _Host(None, key="doc-v")  # reopened: every version, the one last shown in front
    async with again.run_test(size=(100, 40)) as pilot:
        pane = again.query_one(ChatPane)
        await wait_until(pilot, lambda: len(replies(pane)) == 1)
        assert pane.history[1] == third and subtitles(pane) == ["reply 3 of 3"]
        pane.input.focus()
        await pilot.press("alt+left", "alt+left")
        await wait_until(pilot, lambda: pane.history[1] == first)
        assert subtitles(pane) == ["reply 1 of 3"]


async def test_the_chat_goes_on_from_the_version_shown(
    tiny_gguf: Path, tiny_engine: Engine
) -> None:
    app = _Host(tiny_gguf, key="doc-w")
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_until(pilot, lambda: app.ready)
        pane = app.query_one(ChatPane)
        await send(pilot, pane, "Name my cat")
        await wait_until(pilot, lambda: len(pane.history) == 2)
        first = pane.history[1]
        await regenerate(pilot, app, pane, seed=8)
        await pilot.press("alt+left")
        await wait_until(pilot, lambda: pane.history[1] == first)

        await send(pilot, pane, "More")
        await wait_until(pilot, lambda: len(pane.history) == 4 and not pane.streaming)
        assert f"Assistant: {first.content}\nUser: More" in prompt_text(pane, tiny_engine)
        # The earlier reply keeps its versions (and says which one the chat went on from);
        # the keys act on the last reply, which has none.
        assert subtitles(pane) == ["reply 1 of 2", ""]
        assert len(load_chat_record("doc-w").versions[1].replies) == 2
        await pilot.press("alt+right")
        await pilot.pause()
        assert pane.history[1] == first
        assert "no other versions" in last_notice(app)


async def test_a_failed_or_stopped_regeneration_leaves_the_reply(tiny_engine: Engine) -> None:
    fake = _RecordingEngine()
    app = _Host(None, key="doc-f", engine=fake)
    async with app.run_test(size=(100, 40)) as pilot:
        pane = app.query_one(ChatPane)

        def shown() -> list[str]:
            return [r.text for r in replies(pane)]

        async def answer(text: str, until: Callable[[], object], **finish: Any) -> None:
            rid = fake.requests[-1].id
            if text:
                pane.post_message(GenerationChunk(rid, text, 1, 1.0))
            pane.post_message(GenerationFinished(rid, StreamStats(), **finish))
            await wait_until(pilot, lambda: not pane.streaming and until())

        async def ctrl_r() -> None:
            count = len(fake.requests)
            await pilot.press("ctrl+r")
            await wait_until(pilot, lambda: len(fake.requests) == count + 1)

        kept = [Turn("user", "Hi"), Turn("assistant", "First.")]
        await send(pilot, pane, "Hi")
        await wait_until(pilot, lambda: len(fake.requests) == 1)
        await answer(" First.", lambda: pane.history == kept)

        await ctrl_r()
        # While the new version is on its way, the reply is still in the history, and saved.
        assert pane.history == kept and load_chat("doc-f") == kept
        assert fake.requests[-1].prompt.history == () and fake.requests[-1].prompt.message == "Hi"
        await answer("", lambda: bool(pane.query(ErrorLine)), error="the engine crashed")
        await wait_until(pilot, lambda: shown() == ["First."])  # back, the failure under it
        assert pane.history == kept and pane.chat.versions == {}
        assert isinstance(pane.log_view.children[-1], ErrorLine)

        await ctrl_r()
        await pilot.press("escape")  # stopped before any text: the reply comes back
        await wait_until(pilot, lambda: not pane.streaming and shown() == ["First."])
        assert not replies(pane)[0].has_class("-noted") and not pane.query(ErrorLine)
        assert pane.history == kept

        await ctrl_r()
        await answer("", lambda: shown() == ["First."])  # no text at all: back, with a notice
        assert pane.history == kept and "previous one is kept" in last_notice(app)

        await ctrl_r()
        await answer(" Second.", lambda: len(versions_of_last(pane)) == 2)
        assert pane.history == [Turn("user", "Hi"), Turn("assistant", "Second.")]
        assert load_chat_record("doc-f").versions == {
            1: ReplyVersions((Turn("assistant", "First."), Turn("assistant", "Second.")), 1)
        }
        await wait_until(pilot, lambda: subtitles(pane) == ["reply 2 of 2"])
