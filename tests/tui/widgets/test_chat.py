"""The chat: history on disk, and ChatPane driven through a real engine process and tiny model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Markdown
from textual.widgets.markdown import MarkdownStream

from models.local.engine import Engine, StreamStats
from models.prompting.prompts import ChatSpec, build
from models.prompting.transcript import CHAT_STOPS, Turn
from tests.support import engine_hooks
from tests.support.chat_host import (
    ChatHost,
    RecordingEngine,
    prompt_text,
    replies,
    send,
    versions_of_last,
)
from tests.support.helpers import wait_until
from tui.messages import (
    GenerationChunk,
    GenerationFinished,
    GenerationStarted,
)
from tui.screens.dialogs import Choice
from tui.store.chats import (
    chat_path,
    load_chat,
)
from tui.widgets.chat import (
    STOPPED_NOTE,
    ChatPane,
    ErrorLine,
    UserMessage,
)

# Chat store --------------------------------------------------------------------------------
# ChatPane ----------------------------------------------------------------------------------


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


async def test_send_streams_a_reply(
    tiny_gguf: Path, tiny_engine: Engine, spies: dict[str, list[Any]]
) -> None:
    app = ChatHost(tiny_gguf, max_tokens=40)
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
    app = ChatHost(tiny_gguf, max_tokens=800)
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
    app = ChatHost(tiny_gguf, key="doc-r")
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
    app = ChatHost(tiny_gguf, key="doc-a")
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_until(pilot, lambda: app.ready)
        pane = app.query_one(ChatPane)
        await send(pilot, pane, "Remember me")
        await wait_until(pilot, lambda: len(pane.history) == 2)
        saved = list(pane.history)
    assert load_chat("doc-a") == saved

    again = ChatHost(None, key="doc-a")
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

    other = ChatHost(None, key="doc-b")
    async with other.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        assert other.query_one(ChatPane).history == []


async def test_no_model_shows_error_line() -> None:
    app = ChatHost(None, key="doc-e")
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


async def test_chunks_are_sanitized_and_cleaned(tiny_engine: Engine) -> None:
    fake = RecordingEngine()
    app = ChatHost(None, draft="Once upon a time. The dragon slept.", engine=fake)
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
