"""Reply versions: Ctrl+R never loses a reply; Alt+arrows show the others."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.app import App

from models.local.engine import Engine, StreamStats
from models.prompting.transcript import Turn
from models.sampling import SamplerSettings
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
)
from tui.store.chats import (
    ReplyVersions,
    load_chat,
    load_chat_record,
)
from tui.widgets.chat import (
    ChatPane,
    ErrorLine,
)

# Reply versions: Ctrl+R never loses a reply -------------------------------------------------


def last_notice(app: App[object]) -> str:
    return str(list(app._notifications)[-1].message)


def subtitles(pane: ChatPane) -> list[str]:
    return [str(r.border_subtitle or "") for r in replies(pane)]


async def regenerate(pilot: Any, app: ChatHost, pane: ChatPane, seed: int) -> None:
    """Ctrl+R with another seed (the host's is fixed), until the new version has arrived."""
    count = len(versions_of_last(pane))
    app.sampler = SamplerSettings(seed=seed, temperature=1.5, top_k=0, top_p=1.0, min_p=0.0)
    await pilot.press("ctrl+r")
    await wait_until(pilot, lambda: len(versions_of_last(pane)) == count + 1)
    await wait_until(pilot, lambda: not pane.streaming)


async def test_regenerate_keeps_the_versions_and_alt_arrows_go_back(tiny_gguf: Path) -> None:
    app = ChatHost(tiny_gguf, key="doc-v")
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

    again = ChatHost(None, key="doc-v")  # reopened: every version, the one last shown in front
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
    app = ChatHost(tiny_gguf, key="doc-w")
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
    fake = RecordingEngine()
    app = ChatHost(None, key="doc-f", engine=fake)
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
