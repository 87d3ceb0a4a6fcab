"""F6 says how far each alternative is written, stands them side by side at 120 columns or
more, and after a pick the cursor is at the end of the inserted text, in sight."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import OptionList

from tests.support.helpers import wait_until
from tui.app import QuillpenApp
from tui.config import Settings
from tui.screens.alternatives import AlternativesScreen, Card
from tui.screens.main import MainScreen


def _app(path: Path, model: Path) -> QuillpenApp:
    return QuillpenApp(path, model=str(model), settings=Settings())


async def _alternatives(pilot: object, app: QuillpenApp) -> AlternativesScreen:
    await wait_until(pilot, lambda: app.model_name is not None, 30)  # type: ignore[arg-type]
    await pilot.press("f6")  # type: ignore[attr-defined]
    await wait_until(pilot, lambda: isinstance(app.screen, AlternativesScreen))  # type: ignore[arg-type]
    screen = app.screen
    assert isinstance(screen, AlternativesScreen)
    await wait_until(pilot, lambda: len(screen.done) == 3, 30)  # type: ignore[arg-type]
    return screen


async def test_progress_per_alternative_in_the_dialog_and_status_bar(
    tmp_path: Path, tiny_gguf: Path
) -> None:
    app = _app(tmp_path / "p.md", tiny_gguf)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*"Night fell")
        screen = await _alternatives(pilot, app)
        assert app.status.state == app.status.idle  # all written: "ready" again
        screen.done.clear()  # as it was while they were written
        screen.tokens = [5, 0, 24]
        for index in range(3):
            screen._show(index)
        screen._progress()
        await pilot.pause()
        first = str(screen.query_one(OptionList).get_option_at_index(0).prompt)
        assert first.startswith("1. [5/24]")
        assert "writing" in str(screen.query_one("#alt-title").render())
        assert app.status.state == "alternatives 40%"
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert app.status.state == app.status.idle


async def test_side_by_side_at_120_columns(tmp_path: Path, tiny_gguf: Path) -> None:
    app = _app(tmp_path / "s.md", tiny_gguf)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press(*"Night fell")
        screen = await _alternatives(pilot, app)
        cards = list(screen.query(Card))
        assert len(cards) == 3
        assert len({card.region.y for card in cards}) == 1  # one row
        assert cards[0].region.x < cards[1].region.x < cards[2].region.x
        screen.texts[0] = " a [/oux] and [b]x"  # the model's text is never markup
        screen._show(0)
        await pilot.pause()
        assert "[/oux] and [b]x" in str(cards[0].render())
        second = screen.texts[1]
        await pilot.press("2")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert app.editor.text == "Night fell" + second


async def test_after_a_pick_the_cursor_ends_the_inserted_text_in_sight(
    tmp_path: Path, tiny_gguf: Path
) -> None:
    path = tmp_path / "long.md"
    path.write_text("\n".join(f"Line {n} of the story." for n in range(80)))
    app = _app(path, tiny_gguf)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.editor.text.startswith("Line 0"))
        await pilot.pause()  # (a file opens at its end, the last line at the bottom)
        screen = await _alternatives(pilot, app)
        first = screen.texts[0]
        await pilot.press("1")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        editor = app.editor
        row, column = editor.cursor_location
        before = editor.get_text_range((0, 0), (row, column))
        assert before.endswith(first)
        await pilot.pause()
        top = editor.scroll_offset.y
        assert (
            top
            <= editor.wrapped_document.location_to_offset((row, column)).y
            < top + editor.content_size.height
        )
