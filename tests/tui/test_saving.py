"""Saving never loses or misplaces text: save-as asks before replacing a file, a symlink stays a
link (its target gets the text), and "Save" for an untitled document asks for a name."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.support.helpers import wait_until
from tests.support.tmux import Tmux, needs_tmux
from tui.app import QuillpenApp
from tui.config import Settings
from tui.document import Document
from tui.screens.dialogs import AskPath, Choice
from tui.screens.main import MainScreen
from tui.store import journal


async def answer_path(pilot: Pilot[object], app: QuillpenApp, target: Path) -> None:
    await wait_until(pilot, lambda: isinstance(app.screen, AskPath))
    app.screen.query_one("Input").value = str(target)  # type: ignore[attr-defined]
    await pilot.press("enter")


async def test_save_as_onto_another_file_asks_first(tmp_path: Path) -> None:
    other = tmp_path / "other.md"
    other.write_text("Someone else's poem.\n")
    app = QuillpenApp(None, settings=Settings())
    async with app.run_test() as pilot:
        await pilot.press(*"My draft")
        await pilot.press("ctrl+s")
        await answer_path(pilot, app, other)
        await wait_until(pilot, lambda: isinstance(app.screen, Choice))
        assert "already exists" in app.screen.question  # type: ignore[attr-defined]
        await pilot.click("#cancel")
        await pilot.pause()
        assert other.read_text() == "Someone else's poem.\n"  # untouched
        assert app.session.document.path is None and app.sub_title.endswith("●")
        await pilot.press("ctrl+s")
        await answer_path(pilot, app, other)
        await wait_until(pilot, lambda: isinstance(app.screen, Choice))
        await pilot.click("#replace")
        await wait_until(pilot, lambda: other.read_text() == "My draft")
        assert app.session.document.path == other
        await pilot.press(*"!", "ctrl+s")  # its own file now: no question
        await wait_until(pilot, lambda: other.read_text() == "My draft!")


async def test_a_folder_is_not_a_file_name(tmp_path: Path) -> None:
    app = QuillpenApp(None, settings=Settings())
    async with app.run_test() as pilot:
        await pilot.press(*"text", "ctrl+s")
        await answer_path(pilot, app, tmp_path)
        await pilot.pause()
        assert any("is a folder" in n.message for n in app._notifications)
        assert app.editor.text == "text" and app.session.document.path is None


def test_saving_through_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "drafts" / "poem.md"
    real.parent.mkdir()
    real.write_text("old\n")
    link = tmp_path / "poem.md"
    link.symlink_to(real)
    doc, text = Document.open(link)
    assert text == "old\n"
    doc.save("new\n")
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert real.read_text() == "new\n"
    assert doc.path == link and not doc.changed_on_disk()
    assert not list(tmp_path.glob(".poem.md.*")) and not list(real.parent.glob(".poem.md.*"))


async def test_ctrl_s_through_a_symlink_writes_its_target(tmp_path: Path) -> None:
    real = tmp_path / "drafts" / "poem.md"
    real.parent.mkdir()
    real.write_text("old\n")
    link = tmp_path / "poem.md"
    link.symlink_to(real)
    app = QuillpenApp(link, settings=Settings())
    async with app.run_test() as pilot:
        await pilot.press(*"new", "ctrl+s")
        await wait_until(pilot, lambda: real.read_text() == "old\nnew")
        assert link.is_symlink() and link.resolve() == real.resolve()
        await pilot.press("!", "ctrl+s")  # no "changed on disk" question: our own write
        await wait_until(pilot, lambda: real.read_text() == "old\nnew!")
        assert isinstance(app.screen, MainScreen) and link.is_symlink()
        app.session.run(app.session.save_as(real))  # the same file by its own name: no question
        await wait_until(pilot, lambda: app.session.document.path == real)
        assert isinstance(app.screen, MainScreen) and real.read_text() == "old\nnew!"


async def test_export_onto_an_existing_file_asks_first(tmp_path: Path) -> None:
    other = tmp_path / "notes.md"
    other.write_text("Keep me.\n")
    app = QuillpenApp(None, settings=Settings())
    async with app.run_test() as pilot:
        await pilot.press(*"A draft")
        for answer in ("cancel", "replace"):
            await pilot.press("ctrl+p", *"export")
            await pilot.pause(0.3)
            await pilot.press("enter")  # the palette's "Export…"
            await answer_path(pilot, app, other)
            await wait_until(pilot, lambda: isinstance(app.screen, Choice))
            assert "notes.md already exists" in app.screen.question  # type: ignore[attr-defined]
            await pilot.click(f"#{answer}")
            if answer == "cancel":
                await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
                assert other.read_text() == "Keep me.\n"  # untouched
        await wait_until(pilot, lambda: bool(app.screen.query("#none")))  # how to mark it
        await pilot.click("#none")
        await wait_until(pilot, lambda: other.read_text() == "A draft")


async def test_unsaved_untitled_save_asks_a_name_then_goes_on(tmp_path: Path) -> None:
    target = tmp_path / "kept.md"
    app = QuillpenApp(None, settings=Settings())
    async with app.run_test() as pilot:
        await pilot.press(*"Keep me")
        await pilot.press("ctrl+n")  # a new document: first, what about this one?
        await wait_until(pilot, lambda: isinstance(app.screen, Choice))
        await pilot.click("#save")
        await answer_path(pilot, app, target)
        await wait_until(pilot, lambda: target.exists())
        assert target.read_text() == "Keep me"
        await wait_until(pilot, lambda: app.editor.text == "" and app.session.document.path is None)


async def test_an_untitled_draft_is_offered_back_after_a_crash(tmp_path: Path) -> None:
    crashed = QuillpenApp(None, settings=Settings())
    async with crashed.run_test() as pilot:
        await pilot.press(*"Lost at sea")
        crashed.session.flush_journal()  # what the 0.5-s timer does; then kill -9 (no cleanup)
        assert journal.read_journal(None) == "Lost at sea"
        crashed.session.dirty = False
        crashed.editor.load_text("")
        crashed._clean_text = ""  # (leave without the quit path's cleanup)
    again = QuillpenApp(None, settings=Settings())
    async with again.run_test() as pilot:
        await pilot.pause()
        assert again.editor.text == "Lost at sea" and again.sub_title.endswith("●")
        assert any("untitled draft" in n.message for n in again._notifications)
        await pilot.press(*" found")  # the next keystrokes add to it, never replace it
        again.session.flush_journal()
        assert journal.read_journal(None) == "Lost at sea found"
        again.session.run(again.session.discard_recovery())  # the palette's command asks first
        await wait_until(pilot, lambda: bool(again.screen.query("#cancel")))
        await pilot.click("#cancel")
        await pilot.pause()
        assert again.editor.text == "Lost at sea found"
        again.session.run(again.session.discard_recovery())
        await wait_until(pilot, lambda: bool(again.screen.query("#discard")))
        await pilot.click("#discard")
        await wait_until(pilot, lambda: again.editor.text == "")
        assert journal.read_journal(None) is None


@pytest.mark.e2e
@needs_tmux
def test_an_untitled_draft_survives_kill_9(tmux: Tmux) -> None:
    """The real app in a terminal, as the report tried it: type in an untitled document,
    kill -9, start `quillpen` again; the draft is there and the next keys add to it."""
    quillpen = Path(sys.executable).with_name("quillpen")
    tmux.start(str(quillpen))
    tmux.wait_for(lambda s: "untitled" in s)
    tmux.type("Lost at sea")
    tmux.wait_for(lambda s: journal.read_journal(None) == "Lost at sea", timeout=10)
    os.kill(tmux.app_pid(), signal.SIGKILL)
    assert tmux.wait_exit() == 128 + signal.SIGKILL
    tmux.stop()
    tmux.start(str(quillpen))
    screen = tmux.wait_for(lambda s: "Lost at sea" in s and "Recovered" in s)
    assert "untitled ●" in screen
    tmux.type(" found")
    tmux.wait_for(lambda s: journal.read_journal(None) == "Lost at sea found", timeout=10)
    tmux.keys("C-q")  # unsaved: it asks, and the draft stays
    tmux.wait_for(lambda s: "unsaved changes" in s)
