"""Spelling in the app: unknown words underlined as you type (a key re-checks only its line),
F10's suggestions replace the word, "Add to dictionary" lasts across a restart, a dictionary
that fails to load says so once, and ``spelling = false`` turns it off."""

from __future__ import annotations

import gzip
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import OptionList

from tests.support.helpers import wait_until
from tui.app import QuillpenApp
from tui.config import Settings
from tui.screens.main import MainScreen
from tui.screens.spelling import SpellingScreen
from tui.spelling.marks import SPELLING_STYLE
from tui.store import personal_words


def _main(app: QuillpenApp) -> MainScreen:
    screen = app.screen_stack[0]
    assert isinstance(screen, MainScreen)
    return screen


async def tools(pilot: Pilot[object], app: QuillpenApp) -> MainScreen:
    """The main screen once its tools have started (right after the first frame)."""
    await wait_until(pilot, lambda: hasattr(app.screen_stack[0], "goals"))
    return _main(app)


def underlined(app: QuillpenApp, row: int) -> list[str]:
    """The words of line ``row`` drawn with the spelling style."""
    line = app.editor.get_line(row)
    return [
        line.plain[span.start : span.end] for span in line.spans if span.style == SPELLING_STYLE
    ]


async def test_unknown_words_are_underlined_as_you_type(tmp_path: Path) -> None:
    path = tmp_path / "draft.txt"
    path.write_text("The lighthouse keeper wrote.\nSecond line.\n", encoding="utf-8")
    app = QuillpenApp(path, settings=Settings())
    async with app.run_test() as pilot:
        spelling = (await tools(pilot, app)).spelling
        await wait_until(pilot, lambda: spelling.marks.active and spelling.last_pass)
        assert underlined(app, 0) == []
        app.editor.move_cursor((2, 0))
        checks = spelling.marks.checks
        await pilot.press(*"A wrold")
        await pilot.pause()
        assert underlined(app, 2) == ["wrold"]
        # each key re-checked the one line it changed, not the draft's other lines
        assert spelling.marks.checks - checks <= len("A wrold")
        assert underlined(app, 0) == [] and underlined(app, 1) == []


async def test_f10_picks_a_suggestion_in_place_of_the_word(tmp_path: Path) -> None:
    path = tmp_path / "draft.txt"
    path.write_text("It was a wrold of its own.\n", encoding="utf-8")
    app = QuillpenApp(path, settings=Settings())
    async with app.run_test() as pilot:
        await tools(pilot, app)
        await wait_until(pilot, lambda: _main(app).spelling.marks.active)
        app.editor.move_cursor((0, 0))
        await pilot.press("f10")
        await wait_until(pilot, lambda: isinstance(app.screen, SpellingScreen))
        screen = app.screen
        assert isinstance(screen, SpellingScreen)
        assert screen.word == "wrold" and screen.suggestions[0] == "world"
        options = screen.query_one(OptionList)
        assert options.highlighted == 0
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.editor.text == "It was a world of its own.\n")
        assert underlined(app, 0) == []
        await pilot.press("ctrl+z")  # one undo step puts the word back
        await wait_until(pilot, lambda: "wrold" in app.editor.text)


async def test_added_words_are_known_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "draft.txt"
    path.write_text("Zorblax sailed.\n", encoding="utf-8")
    app = QuillpenApp(path, settings=Settings())
    async with app.run_test() as pilot:
        await tools(pilot, app)
        await wait_until(pilot, lambda: _main(app).spelling.marks.active)
        await pilot.pause()
        assert underlined(app, 0) == ["Zorblax"]
        app.editor.move_cursor((0, 0))
        await pilot.press("f10")
        await wait_until(pilot, lambda: isinstance(app.screen, SpellingScreen))
        await pilot.press("end", "enter")  # the last choice: "Add to the dictionary"
        await wait_until(pilot, lambda: not underlined(app, 0))
    assert "Zorblax" in personal_words.load()
    again = QuillpenApp(path, settings=Settings())
    async with again.run_test() as pilot:
        await tools(pilot, again)
        await wait_until(pilot, lambda: _main(again).spelling.marks.active)
        await pilot.pause()
        assert underlined(again, 0) == []


async def test_a_dictionary_that_fails_to_load_says_so_once(tmp_path: Path) -> None:
    broken = tmp_path / "words.json.gz"
    broken.write_bytes(gzip.compress(b'{"hello": 3, "world"')[:-6])  # cut short
    path = tmp_path / "draft.txt"
    path.write_text("Some wrold.\n", encoding="utf-8")
    app = QuillpenApp(path, settings=Settings(spelling_language=str(broken)))
    async with app.run_test() as pilot:
        spelling = (await tools(pilot, app)).spelling
        await wait_until(pilot, lambda: spelling.failed)
        await wait_until(pilot, lambda: any(n.title == "Spelling" for n in app._notifications))
        await pilot.pause(0.2)
        notes = [n for n in app._notifications if n.title == "Spelling"]
        assert len(notes) == 1 and "Spelling is off" in notes[0].message
        assert str(broken) in notes[0].message
        assert app.editor.text == "Some wrold.\n" and underlined(app, 0) == []
        await pilot.press("f10")  # says why, opens nothing
        await pilot.pause()
        assert not isinstance(app.screen, SpellingScreen)
        await pilot.press(*"ok")
        assert app.editor.text == "Some wrold.\nok"


async def test_spelling_false_turns_it_off(tmp_path: Path) -> None:
    path = tmp_path / "draft.txt"
    path.write_text("Some wrold.\n", encoding="utf-8")
    app = QuillpenApp(path, settings=Settings(spelling=False))
    async with app.run_test() as pilot:
        await pilot.pause(0.3)
        spelling = (await tools(pilot, app)).spelling
        assert spelling.marks.speller is None and underlined(app, 0) == []


async def test_the_key_moves_with_the_keymap(tmp_path: Path) -> None:
    path = tmp_path / "draft.txt"
    path.write_text("A wrold.\n", encoding="utf-8")
    app = QuillpenApp(path, settings=Settings(keymap={"editor.spelling": "f11"}))
    async with app.run_test() as pilot:
        await tools(pilot, app)
        await wait_until(pilot, lambda: _main(app).spelling.marks.active)
        await pilot.press("f10")  # no longer spelling's
        await pilot.pause()
        assert not isinstance(app.screen, SpellingScreen)
        await pilot.press("f11")
        await wait_until(pilot, lambda: isinstance(app.screen, SpellingScreen))
