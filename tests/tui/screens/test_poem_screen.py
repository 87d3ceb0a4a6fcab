"""F7 in the editor: the poem's lines counted and checked against its form, and rhymes for the
word at the cursor, one of which can replace it (one undo step)."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, OptionList, Select

from tests.support.helpers import wait_until
from tui.app import QuillpenApp
from tui.config import Settings
from tui.poetry.text import word_at
from tui.screens.poem import PoemScreen, guess_form

HAIKU_585 = """\
an old silent pond
a frog jumps into the water now
splash! silence again at night
"""


async def test_f7_checks_the_haiku_and_swaps_in_a_rhyme(tmp_path: Path) -> None:
    path = tmp_path / "haiku.md"
    path.write_text(HAIKU_585, encoding="utf-8")
    app = QuillpenApp(path, settings=Settings())
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.editor.text == HAIKU_585)
        app.editor.move_cursor((2, len("splash! silence again at night")))
        await pilot.press("f7")
        await wait_until(pilot, lambda: isinstance(app.screen, PoemScreen))
        screen = app.screen
        assert isinstance(screen, PoemScreen)
        assert screen.query_one(Select).value == "haiku" and screen.word == "night"
        await wait_until(pilot, lambda: screen.view is not None, 20)
        assert screen.view is not None and screen.view.report is not None
        flagged = [line.number for line in screen.view.report.flagged]
        assert 2 in flagged  # 5-8-5 (or more): the middle line is named
        assert screen.query_one(DataTable).row_count == 3
        assert "light" in screen.view.rhymes
        rhymes = screen.query_one(OptionList)
        rhymes.focus()
        rhymes.highlighted = screen.view.rhymes.index("light")
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, PoemScreen))
        assert app.editor.text.splitlines()[2] == "splash! silence again at light"
        await pilot.press("ctrl+z")
        assert app.editor.text == HAIKU_585


def test_word_at_and_the_guessed_form() -> None:
    assert word_at("the frog's night", 16) == (11, 16)
    assert word_at("the frog's night", 6) == (4, 10)
    assert word_at("床前明月光", 4) == (4, 5)  # the character under the cursor: 光
    assert word_at("床前明月光", 5) == (4, 5)  # at the end: the one just typed
    assert guess_form(HAIKU_585) == "haiku"
    assert guess_form("床前明月光，疑是地上霜。\n举头望明月，低头思故乡。") == "jueju5"
    assert guess_form("one line only") == "any"


async def test_alt_s_shows_syllables_in_the_margin_and_the_lines_stress_and_rhymes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "haiku.md"
    path.write_text(HAIKU_585, encoding="utf-8")
    app = QuillpenApp(path, settings=Settings())
    async with app.run_test(size=(100, 30)) as pilot:
        editor = app.editor
        await wait_until(pilot, lambda: editor.text == HAIKU_585)
        editor.move_cursor((2, len("splash! silence again at night")))

        def rows() -> list[str]:
            return [editor.render_line(y).text for y in range(3)]

        plain = rows()
        assert plain[0].startswith("an old silent pond")
        await pilot.press("alt+s")
        await wait_until(pilot, lambda: "light" in str(editor.border_subtitle), 10)
        margin = rows()
        assert [row[:5] for row in margin] == ["   5 ", "   9 ", "   7 "]
        assert margin[0][5:].startswith("an old silent pond")  # the text moved, not cut
        hint = str(editor.border_subtitle)
        assert "night: " in hint and "(7)" in hint and "/" in hint  # stress marks, then rhymes
        editor.move_cursor((0, 3))  # the cursor moves: the hint follows
        await wait_until(pilot, lambda: "old: " in str(editor.border_subtitle), 10)
        await pilot.press("alt+s")
        assert rows() == plain and not editor.border_subtitle


def test_margin_labels_count_words_syllables_and_characters() -> None:
    from tui.widgets.poem_margin import count_label

    assert count_label("床前明月光") == "5"
    assert count_label("The orange moon") == "4"
    assert count_label("   ") == ""
    assert count_label("a zorblat sings").endswith("~")  # guessed: said so
