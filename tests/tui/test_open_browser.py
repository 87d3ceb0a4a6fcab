"""Ctrl+O's Open dialog: a file tree, path completion, the recent files (which ``quillpen``
alone offers); a binary file picked in the tree is refused with one message, nothing lost."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DirectoryTree, Input, OptionList

from tests.support.helpers import wait_until
from tui.app import QuillpenApp
from tui.config import Settings
from tui.screens.open_file import OpenFile
from tui.store import recent


def _app(path: Path | None) -> QuillpenApp:
    return QuillpenApp(path, settings=Settings(spelling=False))


async def test_recent_files_are_offered_when_started_alone(tmp_path: Path) -> None:
    first, second = tmp_path / "first.md", tmp_path / "second.md"
    first.write_text("The first story.\n")
    second.write_text("The second story.\n")
    for path in (first, second):
        app = _app(path)
        async with app.run_test() as pilot:
            await wait_until(pilot, lambda p=path: p in recent.load())  # type: ignore[misc]
    assert recent.load() == [second, first]  # newest first, kept in the data folder
    alone = _app(None)
    async with alone.run_test() as pilot:
        await wait_until(pilot, lambda: isinstance(alone.screen, OpenFile))
        await wait_until(pilot, lambda: bool(alone.screen.query("#recent")))
        listed = alone.screen.query_one("#recent", OptionList)
        await wait_until(pilot, lambda: listed.has_focus)
        assert listed.option_count == 2
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: alone.editor.text == "The first story.\n")
        assert alone.session.document.path == first


async def test_no_recent_files_no_question(tmp_path: Path) -> None:
    app = _app(None)
    async with app.run_test() as pilot:
        await pilot.press(*"Hello")
        await wait_until(pilot, lambda: app.editor.text == "Hello")
        assert not isinstance(app.screen, OpenFile)


async def _open_dialog(pilot: object, app: QuillpenApp) -> OpenFile:
    await pilot.press("ctrl+o")  # type: ignore[attr-defined]
    await wait_until(pilot, lambda: isinstance(app.screen, OpenFile))  # type: ignore[arg-type]
    screen = app.screen
    assert isinstance(screen, OpenFile)
    return screen


async def test_a_binary_file_in_the_tree_is_refused_and_nothing_is_lost(tmp_path: Path) -> None:
    tmp_path = tmp_path / "work"  # (beside the test's private data folders)
    tmp_path.mkdir()
    draft = tmp_path / "draft.md"
    draft.write_text("My draft.\n")
    (tmp_path / "picture.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64))
    app = _app(draft)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_until(pilot, lambda: app.editor.text == "My draft.\n")
        screen = await _open_dialog(pilot, app)
        tree = screen.query_one(DirectoryTree)
        await wait_until(pilot, lambda: len(tree.root.children) == 2)
        picture = next(n for n in tree.root.children if n.label.plain == "picture.png")
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: tree.has_focus)
        tree.move_cursor(picture)
        await pilot.press("enter")
        await wait_until(pilot, lambda: any("binary" in n.message for n in app._notifications))
        notes = [n for n in app._notifications if "binary" in n.message]
        assert len(notes) == 1 and "picture.png" in notes[0].message
        assert app.screen is screen  # still choosing
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, OpenFile))
        assert app.editor.text == "My draft.\n" and app.session.document.path == draft
        # Typed as a path instead: the same one message, the draft still open.
        await _open_dialog(pilot, app)
        await pilot.press(*str(tmp_path / "picture.png"), "enter")
        await wait_until(pilot, lambda: any(n.title == "Cannot open" for n in app._notifications))
        assert app.editor.text == "My draft.\n" and app.session.document.path == draft


async def test_a_text_file_from_the_tree_and_path_completion(tmp_path: Path) -> None:
    tmp_path = tmp_path / "work"
    tmp_path.mkdir()
    (tmp_path / "chapter-one.md").write_text("Chapter one.\n")
    app = _app(tmp_path / "new.md")
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await _open_dialog(pilot, app)
        path_input = screen.query_one("#path", Input)
        await pilot.press(*f"{tmp_path}/chap")
        await wait_until(pilot, lambda: path_input._suggestion.endswith("chapter-one.md"))
        await pilot.press("right")  # takes the completion
        assert path_input.value == f"{tmp_path}/chapter-one.md"
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.editor.text == "Chapter one.\n")
        # and from the tree
        await pilot.press(*"x")
        await pilot.press("ctrl+s")
        screen = await _open_dialog(pilot, app)
        tree = screen.query_one(DirectoryTree)
        await wait_until(pilot, lambda: len(tree.root.children) == 1)
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: tree.has_focus)
        node = next(n for n in tree.root.children if n.label.plain == "chapter-one.md")
        tree.move_cursor(node)
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, OpenFile))
        assert app.editor.text == "Chapter one.\nx"
