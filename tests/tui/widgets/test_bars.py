"""The title line and the key line of the main screen, in the real app."""

from __future__ import annotations

from pathlib import Path

from textual.command import CommandPalette

from tests.support.helpers import wait_until
from tui.app import QuillpenApp
from tui.config import Settings
from tui.screens.help import HelpScreen
from tui.widgets.bars import KeyBar, TitleBar


def line(app: QuillpenApp, widget: type[KeyBar] | type[TitleBar]) -> str:
    bar = app.screen.query_one(widget)
    return "".join(segment.text for segment in bar.render_line(0))


async def test_key_line_follows_focus_and_a_click_runs_a_key(tmp_path: Path) -> None:
    app = QuillpenApp(tmp_path / "a.md", settings=Settings())
    async with app.run_test(size=(100, 24)) as pilot:
        await wait_until(pilot, lambda: "tab Continue" in line(app, KeyBar))
        editor_keys = line(app, KeyBar)
        await pilot.press("f3")  # the chat's keys
        await wait_until(pilot, lambda: line(app, KeyBar) != editor_keys)
        assert "tab Continue" not in line(app, KeyBar)
        await pilot.press("f2")
        await wait_until(pilot, lambda: line(app, KeyBar) == editor_keys)

        bar = app.screen.query_one(KeyBar)
        help_key = next(key for key in bar.keys if key.binding.action == "help")
        assert line(app, KeyBar)[help_key.start : help_key.end] == "f1 Help"
        await pilot.click(KeyBar, offset=(help_key.start + 1, 0))
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))


async def test_title_line_shows_the_file_and_unsaved_mark(tmp_path: Path) -> None:
    app = QuillpenApp(tmp_path / "story.md", settings=Settings())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: "quillpen — story.md" in line(app, TitleBar))
        assert "●" not in line(app, TitleBar)
        await pilot.press("x")
        await wait_until(pilot, lambda: "story.md ●" in line(app, TitleBar))
        await pilot.click(TitleBar, offset=(1, 0))  # the icon
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
