"""The key line shows more keys as the terminal widens, whole ones only, in order of use; F1's
"What" column is readable at 80 columns."""

from __future__ import annotations

import pytest
from rich.console import Console

from tests.support.helpers import wait_until
from tui.app import QuillpenApp
from tui.config import Settings
from tui.screens.help import HelpScreen
from tui.widgets.bars import KeyBar


async def _key_line(width: int) -> str:
    app = QuillpenApp(None, settings=Settings())
    async with app.run_test(size=(width, 30)) as pilot:
        await pilot.pause()
        return str(app.query_one(KeyBar).render())


@pytest.mark.parametrize("width", [80, 100])
async def test_only_whole_keys_at_narrow_widths(width: int) -> None:
    line = await _key_line(width)
    assert len(line.rstrip()) <= width
    assert line.startswith("tab Continue f1 Help ^s Save")


async def test_the_main_features_show_when_there_is_room() -> None:
    line = await _key_line(160)
    for key in ("f6 Alternatives", "^z Undo", "^p Palette", "f7 Poem", "f9 Surprise", "^t"):
        assert key in line, line
    assert line.index("f6") < line.index("f7") < line.index("f9")  # in order of use


async def test_f1_gives_what_the_width_it_needs_at_80_columns() -> None:
    app = QuillpenApp(None, settings=Settings())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.pause()
        table = app.screen.query_one("Static")
        console = Console(width=table.content_size.width, record=True)
        console.print(table.render()._renderable)  # type: ignore[attr-defined]
        shown = console.export_text()
        assert "Undo (a whole continuation is" in shown  # not cut to 7 characters
        assert "editor.undo" in shown  # the id still there, under it
