"""Saving asks before it changes a file's encoding; undoing back to the saved text is no change;
a dialog that loses something opens on its safe answer."""

from __future__ import annotations

from pathlib import Path

from tests.support.helpers import wait_until
from tui.app import QuillpenApp
from tui.config import Settings
from tui.screens.dialogs import Choice


async def test_a_latin1_file_asks_before_it_becomes_utf8(tmp_path: Path) -> None:
    path = tmp_path / "old.txt"
    latin1 = "café\nau lait".encode("latin-1")
    path.write_bytes(latin1)
    app = QuillpenApp(path, settings=Settings())
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, Choice))
        await pilot.click("#latin1")
        await wait_until(pilot, lambda: app.editor.text == "café\nau lait")
        await pilot.press("ctrl+home", "end")
        app.editor.insert("€")  # (a key Pilot cannot press)
        await pilot.press("ctrl+end", "ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, Choice))
        assert "Latin-1" in app.screen.question or "latin-1" in app.screen.question
        await pilot.press("enter")  # the default: go back
        await wait_until(pilot, lambda: not isinstance(app.screen, Choice))
        assert path.read_bytes() == latin1  # nothing written
        assert app.editor.cursor_location == (0, 4)  # at the €
        assert app.sub_title.endswith("●")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, Choice))
        await pilot.click("#utf-8")
        await wait_until(pilot, lambda: path.read_bytes() == "café€\nau lait".encode())
        await pilot.pause()
        assert not app.sub_title.endswith("●")


async def test_undoing_back_to_the_saved_text_is_no_unsaved_change(tmp_path: Path) -> None:
    path = tmp_path / "tide.md"
    path.write_text("the tide")
    app = QuillpenApp(path, settings=Settings())
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: app.editor.text == "the tide")
        await pilot.press(*" turns")
        await wait_until(pilot, lambda: app.sub_title.endswith("●"))
        await pilot.press("ctrl+z")
        await wait_until(pilot, lambda: app.editor.text == "the tide")
        await wait_until(pilot, lambda: not app.sub_title.endswith("●"))
        await pilot.press("ctrl+q")  # nothing to ask about
        await wait_until(pilot, lambda: not app.is_running)


async def test_undo_then_quit_at_once_asks_nothing(tmp_path: Path) -> None:
    path = tmp_path / "tide.md"
    path.write_text("the tide")
    app = QuillpenApp(path, settings=Settings())
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: app.editor.text == "the tide")
        await pilot.press("x", "ctrl+z", "ctrl+q")  # before the half-second check
        await wait_until(pilot, lambda: not app.is_running)


async def test_replacing_a_file_is_not_what_enter_does(tmp_path: Path) -> None:
    other = tmp_path / "other.md"
    other.write_text("keep me")
    app = QuillpenApp(tmp_path / "new.md", settings=Settings())
    async with app.run_test() as pilot:
        await pilot.press(*"draft")
        app.session.run(app.session.save_as(other))
        await wait_until(pilot, lambda: isinstance(app.screen, Choice))
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, Choice))
        assert other.read_text() == "keep me"


async def test_every_dialog_that_loses_something_opens_on_cancel() -> None:
    app = QuillpenApp(None, settings=Settings())
    async with app.run_test() as pilot:
        for lossy in ("clear", "delete", "discard", "overwrite", "replace"):
            answers: list[str | None] = []
            app.push_screen(Choice("Sure?", [(lossy, "Yes"), ("cancel", "Cancel")]), answers.append)
            await wait_until(pilot, lambda: isinstance(app.screen, Choice))
            await pilot.press("enter")
            await wait_until(pilot, lambda got=answers: bool(got))
            assert answers == ["cancel"]
