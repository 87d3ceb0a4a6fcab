"""The watched file: a change by another program is said at once (reload, keep mine, or the
differences); a deleted file is said once and loses nothing; quillpen's own saves never ask."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Static

from tests.support.helpers import wait_until
from tui.app import QuillpenApp
from tui.config import Settings
from tui.screens.dialogs import Choice
from tui.screens.disk_changes import DiskChanges
from tui.screens.main import MainScreen


def _app(path: Path) -> QuillpenApp:
    return QuillpenApp(path, settings=Settings(spelling=False))


def _main(app: QuillpenApp) -> MainScreen:
    screen = app.screen_stack[0]
    assert isinstance(screen, MainScreen)
    return screen


async def tools(pilot: Pilot[object], app: QuillpenApp) -> MainScreen:
    """The main screen once its tools have started (right after the first frame)."""
    await wait_until(pilot, lambda: hasattr(app.screen_stack[0], "goals"))
    return _main(app)


def _changed_by_someone(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def _asked(app: QuillpenApp, words: str) -> bool:
    return isinstance(app.screen, Choice) and words in app.screen.question


async def _answer(pilot: Pilot[object], button: str) -> None:
    """Click ``button`` of the dialog on top once it is drawn; wait for the dialog to go."""
    app = pilot.app
    screen = app.screen
    await wait_until(pilot, lambda: any(b.region.width for b in screen.query(f"#{button}")))
    await pilot.click(f"#{button}")
    await wait_until(pilot, lambda: app.screen is not screen)


async def test_a_change_on_disk_is_said_and_reloads(tmp_path: Path) -> None:
    path = tmp_path / "draft.md"
    path.write_text("First version.\n", encoding="utf-8")
    app = _app(path)
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: app.editor.text == "First version.\n")
        _changed_by_someone(path, "Second version, from another editor.\n")
        await wait_until(pilot, lambda: _asked(app, "changed by another program"))
        await _answer(pilot, "reload")
        await wait_until(pilot, lambda: app.editor.text == "Second version, from another editor.\n")
        assert not app.session.unsaved
        _main(app).file_watch.check()  # another look at the file: nothing more to say
        await pilot.pause()
        assert not isinstance(app.screen, Choice)


async def test_unsaved_edits_ask_before_a_reload(tmp_path: Path) -> None:
    path = tmp_path / "draft.md"
    path.write_text("Mine.\n", encoding="utf-8")
    app = _app(path)
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: app.editor.text == "Mine.\n")
        await pilot.press(*"More")
        _changed_by_someone(path, "Theirs.\n")
        await wait_until(pilot, lambda: _asked(app, "changed by another program"))
        await _answer(pilot, "reload")
        await wait_until(pilot, lambda: _asked(app, "throws away your unsaved edits"))
        await _answer(pilot, "keep")
        await wait_until(pilot, lambda: not isinstance(app.screen, Choice))
        assert app.editor.text == "Mine.\nMore" and app.session.dirty
        assert app.sub_title.endswith("●")
        # Kept: no new question for the same change; Ctrl+S now overwrites without asking.
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: path.read_text() == "Mine.\nMore")
        # Again, and this time the writer lets the file win.
        await pilot.press(*"!")
        _changed_by_someone(path, "Theirs again.\n")
        await wait_until(pilot, lambda: _asked(app, "changed by another program"))
        await _answer(pilot, "reload")
        await wait_until(pilot, lambda: _asked(app, "throws away your unsaved edits"))
        await _answer(pilot, "reload")
        await wait_until(pilot, lambda: app.editor.text == "Theirs again.\n")


async def test_differences_are_shown(tmp_path: Path) -> None:
    path = tmp_path / "draft.md"
    path.write_text("one\ntwo\nthree\n", encoding="utf-8")
    app = _app(path)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.editor.text == "one\ntwo\nthree\n")
        _changed_by_someone(path, "one\n2\nthree\n")
        await wait_until(pilot, lambda: _asked(app, "changed by another program"))
        await _answer(pilot, "diff")
        await wait_until(pilot, lambda: isinstance(app.screen, DiskChanges))
        shown = str(app.screen.query_one("#diff", Static).render())
        assert "-two" in shown and "+2" in shown
        await _answer(pilot, "keep")
        await wait_until(pilot, lambda: not isinstance(app.screen, DiskChanges))
        assert app.editor.text == "one\ntwo\nthree\n" and app.session.dirty


async def test_own_saves_never_ask(tmp_path: Path) -> None:
    path = tmp_path / "draft.md"
    path.write_text("Start.\n", encoding="utf-8")
    app = _app(path)
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: app.editor.text == "Start.\n")
        watch = await tools(pilot, app)
        for key in "abc":
            await pilot.press(key, "ctrl+s")
            await wait_until(pilot, lambda k=key: path.read_text().endswith(k))  # type: ignore[misc]
            watch.file_watch.check()
            await pilot.pause()
            assert not isinstance(app.screen, Choice)
        path.touch()  # a newer time, the same text: nothing to say
        watch.file_watch.check()
        await pilot.pause()
        assert not isinstance(app.screen, Choice) and not watch.file_watch.asking


async def test_a_deleted_file_is_said_once_and_nothing_is_lost(tmp_path: Path) -> None:
    path = tmp_path / "draft.md"
    path.write_text("Precious words.\n", encoding="utf-8")
    app = _app(path)
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: app.editor.text == "Precious words.\n")
        path.unlink()
        await wait_until(pilot, lambda: any(n.title == "File deleted" for n in app._notifications))
        for _ in range(2):  # more looks at the file: said once only
            _main(app).file_watch.check()
            await pilot.pause()
        notes = [n for n in app._notifications if n.title == "File deleted"]
        assert len(notes) == 1 and "Ctrl+S" in notes[0].message
        assert app.editor.text == "Precious words.\n" and app.sub_title.endswith("●")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: path.exists() and path.read_text() == "Precious words.\n")
