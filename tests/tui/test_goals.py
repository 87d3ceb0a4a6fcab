"""The day's word goal: "3 / 10 today" in the status bar, counted from where the document stood
when the day began, and remembered across a restart (config.toml's goal, or the document's)."""

from __future__ import annotations

from pathlib import Path

from textual.command import CommandList
from textual.widgets import Input

from tests.support.helpers import wait_until
from tui.app import QuillpenApp
from tui.config import Settings
from tui.screens.goal import GoalScreen


def _app(path: Path, goal: int = 0) -> QuillpenApp:
    return QuillpenApp(path, settings=Settings(spelling=False, goal=goal))


def _shown(app: QuillpenApp) -> str:
    return app.status.render().plain


async def test_the_goal_counts_today_across_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "novel.md"
    path.write_text("Five words are here already.\n")
    app = _app(path, goal=10)
    async with app.run_test(size=(120, 24)) as pilot:
        await wait_until(pilot, lambda: "0 / 10 today" in _shown(app))
        await pilot.press(*"And three more", "ctrl+s")
        await wait_until(pilot, lambda: "3 / 10 today" in _shown(app))
    again = _app(path, goal=10)
    async with again.run_test(size=(120, 24)) as pilot:
        await wait_until(pilot, lambda: again.status.words == 8)
        await wait_until(pilot, lambda: "3 / 10 today" in _shown(again))
        await pilot.press(*" two more")
        await wait_until(pilot, lambda: "5 / 10 today" in _shown(again))


async def test_a_documents_own_goal_from_the_palette(tmp_path: Path) -> None:
    path = tmp_path / "story.md"
    path.write_text("One two.\n")
    app = _app(path)
    async with app.run_test(size=(120, 24)) as pilot:
        await wait_until(pilot, lambda: app.status.words == 2)
        assert "today" not in _shown(app)  # no goal: nothing shown
        await pilot.press("ctrl+p", *"Word goal")

        def highlighted() -> str:
            found = app.screen.query(CommandList)
            option = found.first().highlighted_option if found else None
            return str(option.prompt) if option else ""

        await wait_until(pilot, lambda: highlighted().startswith("Word goal"))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, GoalScreen))
        await wait_until(pilot, lambda: app.screen.query_one(Input).has_focus)
        await pilot.press("ctrl+u", *"1500", "enter")
        await wait_until(pilot, lambda: "0 / 1,500 today" in _shown(app))
    again = _app(path)
    async with again.run_test(size=(120, 24)) as pilot:
        await wait_until(pilot, lambda: "0 / 1,500 today" in _shown(again))


async def test_a_chinese_document_counts_characters(tmp_path: Path) -> None:
    path = tmp_path / "诗.md"
    path.write_text("床前明月光\n")
    app = _app(path, goal=20)
    async with app.run_test(size=(120, 24)) as pilot:
        await wait_until(pilot, lambda: "0 / 20 today" in _shown(app))
        app.editor.insert("疑是地上霜")  # (as an input method commits it)
        await wait_until(pilot, lambda: "5 / 20 today" in _shown(app))
        assert "字" in _shown(app)
