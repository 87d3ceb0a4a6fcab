"""Every destructive action asks first or can be undone: F8's unsaved edits (Esc asks) and the
chat's regenerated reply (its versions stay, and the palette goes back to them), in the real
app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.command import CommandList
from textual.widgets import TextArea

from tests.support.helpers import wait_until
from tui.app import QuillpenApp
from tui.config import Settings
from tui.screens.dialogs import Choice
from tui.screens.main import MainScreen
from tui.screens.notes import NotesScreen
from tui.store.notes import load_notes, notes_path
from tui.widgets.chat_log import AssistantMessage


def make_app(path: Path, model: Path | None) -> QuillpenApp:
    return QuillpenApp(path, model=str(model) if model else None, settings=Settings())


async def open_notes(pilot: Any, app: QuillpenApp) -> NotesScreen:
    await pilot.press("f8")
    await wait_until(pilot, lambda: isinstance(app.screen, NotesScreen))
    assert isinstance(app.screen, NotesScreen)
    return app.screen


def memory(screen: NotesScreen) -> str:
    return screen.query_one("#memory", TextArea).text


async def test_f8_esc_asks_before_dropping_edits(tmp_path: Path) -> None:
    app = make_app(tmp_path / "n.md", None)
    async with app.run_test(size=(100, 30)) as pilot:
        key = app.session.document.key
        await open_notes(pilot, app)
        await pilot.press("escape")  # nothing changed: closes at once, asks nothing
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))

        screen = await open_notes(pilot, app)
        await pilot.press(*"Mara")
        assert memory(screen) == "Mara"
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, Choice))
        assert [b.id for b in app.screen.query("Button")] == ["save", "discard", "cancel"]
        await pilot.press("escape")  # the dialog's Cancel: back to the edits, all there
        await wait_until(pilot, lambda: app.screen is screen)
        assert memory(screen) == "Mara"
        await pilot.click("#cancel")  # the screen's Cancel button asks too
        await wait_until(pilot, lambda: isinstance(app.screen, Choice))
        await pilot.click("#cancel")
        await wait_until(pilot, lambda: app.screen is screen)
        assert memory(screen) == "Mara"

        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, Choice))
        await pilot.click("#discard")  # dropped, on purpose
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert app.session.notes.memory == "" and not notes_path(key).exists()

        screen = await open_notes(pilot, app)
        assert memory(screen) == ""
        await pilot.press(*"Mara")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, Choice))
        await pilot.click("#save")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert app.session.notes.memory == "Mara" and load_notes(key).memory == "Mara"

        screen = await open_notes(pilot, app)  # the saved text is what "changed" starts from
        assert memory(screen) == "Mara"
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))


async def palette(pilot: Any, app: QuillpenApp, query: str, title: str) -> None:
    """Run the palette's command ``title``, found by typing ``query``."""
    await pilot.press("ctrl+p", *query)

    def highlighted() -> str:
        found = app.screen.query(CommandList)
        option = found.first().highlighted_option if found else None
        return str(option.prompt) if option else ""

    await wait_until(pilot, lambda: highlighted().startswith(title))
    await pilot.press("enter")


async def test_the_palette_goes_back_to_the_reply_before_a_regeneration(
    tmp_path: Path, tiny_gguf: Path
) -> None:
    app = make_app(tmp_path / "c.md", tiny_gguf)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.model_name is not None, 20)
        chat = app.chat
        await pilot.press("f3")
        await wait_until(pilot, lambda: app.focused is chat.input)
        await pilot.press(*"Name my cat", "enter")
        await wait_until(pilot, lambda: len(chat.history) == 2 and not chat.streaming, 20)
        first = chat.history[1]

        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: 1 in chat.chat.versions and not chat.streaming, 20)
        second = chat.history[1]
        assert chat.chat.versions[1].replies == (first, second)

        def shown() -> tuple[str, str]:
            [reply] = chat.query(AssistantMessage)
            return reply.text, str(reply.border_subtitle)

        await wait_until(pilot, lambda: shown() == (second.content, "reply 2 of 2"))
        await palette(pilot, app, "chat previous reply", "Chat: previous reply")
        await wait_until(pilot, lambda: shown() == (first.content, "reply 1 of 2"))
        assert chat.history[1] == first
        await palette(pilot, app, "chat next reply", "Chat: next reply")
        await wait_until(pilot, lambda: shown() == (second.content, "reply 2 of 2"))
        assert chat.history[1] == second
