"""Keys keep their order in a burst (as over SSH): an action key never overtakes the text
typed just before it. The keys are posted to the app all at once, as the driver does with one
read of several keys, before the app handles any of them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import events

from tests.support.helpers import wait_until
from tui.app import QuillpenApp
from tui.config import Settings
from tui.widgets.chat import ChatPane, UserMessage


def burst(app: QuillpenApp, text: str, *keys: str) -> None:
    """``text`` then ``keys``, queued in one go."""
    for char in text:
        app.post_message(events.Key("space" if char == " " else char, char))
    for key in keys:
        app.post_message(events.Key(key, None))


async def test_enter_in_a_burst_sends_everything_typed_before_it(tiny_gguf: Path) -> None:
    app = QuillpenApp(None, model=str(tiny_gguf), settings=Settings())
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.model_name is not None, 30)
        await pilot.press("f3")
        await wait_until(pilot, lambda: app.screen.focused is app.chat.input)
        burst(app, "A lighthouse at the end", "ctrl+j")
        burst(app, "of the world", "enter")
        await wait_until(pilot, lambda: bool(app.chat.query(UserMessage)))
        pane: ChatPane = app.chat
        assert pane.history[0].content == "A lighthouse at the end\nof the world"
        assert pane.input.text == ""


async def test_ctrl_s_in_a_burst_saves_everything_typed_before_it(tmp_path: Path) -> None:
    path = tmp_path / "poem.md"
    path.write_text("")
    app = QuillpenApp(path, settings=Settings())
    async with app.run_test() as pilot:
        await pilot.pause()
        burst(app, "the sea a slow drum", "ctrl+s")
        await wait_until(pilot, lambda: path.read_text() != "")
        assert path.read_text() == "the sea a slow drum"
        await pilot.pause()
        assert not app.sub_title.endswith("●")


async def test_ctrl_q_in_a_burst_asks_about_the_text_typed_before_it(tmp_path: Path) -> None:
    from tui.screens.dialogs import Choice

    path = tmp_path / "poem.md"
    path.write_text("")
    app = QuillpenApp(path, settings=Settings())
    async with app.run_test() as pilot:
        await pilot.pause()
        burst(app, "unsaved words", "ctrl+q")
        await wait_until(pilot, lambda: isinstance(app.screen, Choice))  # not a silent quit
        assert app.is_running and app.editor.text == "unsaved words"


async def test_tab_in_a_burst_continues_after_the_text_typed_before_it(
    tmp_path: Path, tiny_gguf: Path, submitted: list[Any]
) -> None:
    sent = submitted
    app = QuillpenApp(tmp_path / "s.md", model=str(tiny_gguf), settings=Settings())
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: app.model_name is not None, 30)
        burst(app, "Once upon a time", "tab")
        await wait_until(pilot, lambda: bool(sent))
        assert sent[0].prompt.text == "Once upon a time"  # type: ignore[union-attr]
