"""The app, driven through its keys with Pilot and a tiny real model."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.widgets import TextArea

from models.engine_client import GenerateRequest
from models.local.engine import Engine
from models.prompting.prompts import build
from models.sampling import SamplerSettings
from tests.support import engine_hooks
from tests.support.helpers import continued, wait_until
from tui.app import QuillpenApp
from tui.config import Settings
from tui.screens.dialogs import AskPath, Choice
from tui.screens.help import HelpScreen
from tui.screens.main import MainScreen
from tui.store import journal
from tui.widgets.editor import WriterEditor

POEM = "The moon is a lantern,\nthe sea a slow drum.\n"


def make_app(path: Path | None, model: Path | str | None, **settings: Any) -> QuillpenApp:
    return QuillpenApp(path, model=str(model) if model else None, settings=Settings(**settings))


async def ready(pilot: Any, app: QuillpenApp) -> None:
    await wait_until(pilot, lambda: app.model_name is not None, 20)


async def finished(pilot: Any, app: QuillpenApp) -> None:
    await wait_until(pilot, lambda: not app.editor.generating and not app.engine.busy, 20)


@pytest.fixture
def slow_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    """Slow the engine to ~50 pieces/s so a key can land mid-stream on any machine."""
    engine_hooks.use(monkeypatch, "slow")


async def test_tab_streams_in_place_and_one_undo_removes_it(
    tmp_path: Path, tiny_gguf: Path
) -> None:
    app = make_app(tmp_path / "s.md", tiny_gguf, continue_tokens=40)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, app)
        await pilot.press(*"Once", "space", *"upon")
        typed = app.editor.text
        assert typed == "Once upon"
        await continued(pilot, app, "tab")
        grown = app.editor.text
        assert grown.startswith(typed) and len(grown) > len(typed)
        assert app.editor.marks, "generated text is marked"
        assert app.editor.cursor_location == app.editor.document.end
        assert app.status.context_used > 0
        await pilot.press("ctrl+z")
        assert app.editor.text == typed
        await pilot.press("ctrl+y")
        assert app.editor.text == grown


async def test_escape_stops_generation(tmp_path: Path, tiny_gguf: Path, slow_stream: None) -> None:
    app = make_app(tmp_path / "s.md", tiny_gguf, continue_tokens=400)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, app)
        await pilot.press(*"Rain")
        await pilot.press("tab")
        await wait_until(pilot, lambda: len(app.editor.text) > 10)
        await pilot.press("escape")
        await finished(pilot, app)
        stats = app.editor.last_stats
        assert stats.stopped_by == "cancel"
        assert stats.generated_tokens < 400
        assert app.status.state.startswith("ready")  # ("ready (safe mode)" on some CPUs)


async def test_typing_while_generating_is_kept(
    tmp_path: Path, tiny_gguf: Path, slow_stream: None
) -> None:
    app = make_app(tmp_path / "s.md", tiny_gguf, continue_tokens=60)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, app)
        app.editor.insert("Title\n\nBody")
        app.editor.move_cursor((2, 4))
        await pilot.press("tab")
        await wait_until(pilot, lambda: len(app.editor.text) > 20)
        app.editor.move_cursor((0, 5))  # the user goes back to the title and types
        await pilot.press(*"!!")
        await finished(pilot, app)
        text = app.editor.text
        assert text.startswith("Title!!\n\nBody")
        assert len(text) > len("Title!!\n\nBody")


async def test_save_writes_file_and_clears_dirty_mark(tmp_path: Path, tiny_gguf: Path) -> None:
    path = tmp_path / "poem.md"
    path.write_text(POEM)
    app = make_app(path, tiny_gguf)
    async with app.run_test() as pilot:
        assert app.editor.text == POEM
        assert app.sub_title == "poem.md"
        assert app.editor.cursor_location == app.editor.document.end  # opened at its end
        await pilot.press("ctrl+home", "end", *"!")
        assert app.sub_title.endswith("●")
        await pilot.press("ctrl+s")
        assert path.read_text() == "The moon is a lantern,!\nthe sea a slow drum.\n"
        assert app.sub_title == "poem.md"
        await pilot.press("ctrl+end", *"Ebb.")
        assert app.editor.text.endswith("drum.\nEbb.")
        assert not list(tmp_path.glob(".poem.md.*"))  # no temp files left behind


async def test_untitled_save_asks_for_a_name(tmp_path: Path) -> None:
    app = make_app(None, None)
    async with app.run_test() as pilot:
        await pilot.press(*"hello")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, AskPath))
        target = tmp_path / "new.txt"
        app.screen.query_one("Input").value = str(target)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await wait_until(pilot, lambda: target.exists())
        assert target.read_text() == "hello"


async def test_open_asks_about_unsaved_changes(tmp_path: Path) -> None:
    first, second = tmp_path / "a.md", tmp_path / "b.md"
    first.write_text("first")
    second.write_text("second")
    app = make_app(first, None)
    async with app.run_test() as pilot:
        await pilot.press("end", *"!")
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, Choice))
        await pilot.click("#discard")
        await wait_until(pilot, lambda: isinstance(app.screen, AskPath))
        app.screen.query_one("Input").value = str(second)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.editor.text == "second")
        assert first.read_text() == "first"
        assert app.sub_title == "b.md"


async def test_quit_asks_when_unsaved_and_cancel_keeps_text(tmp_path: Path) -> None:
    app = make_app(tmp_path / "q.md", None)
    async with app.run_test() as pilot:
        await pilot.press(*"draft")
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: isinstance(app.screen, Choice))
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
        assert app.editor.text == "draft"
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: isinstance(app.screen, Choice))
        await pilot.click("#save")
        await wait_until(pilot, lambda: not app.is_running)
    assert (tmp_path / "q.md").read_text() == "draft"


async def test_quit_without_changes_exits_at_once(tmp_path: Path) -> None:
    app = make_app(None, None)
    async with app.run_test() as pilot:
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: not app.is_running)


async def test_function_keys_switch_panes_when_narrow(tiny_gguf: Path) -> None:
    app = make_app(None, None)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert screen.has_class("narrow")
        assert app.editor.display and app.editor.region.width > 0
        assert app.chat.region.width == 0 and app.templates.region.width == 0
        await pilot.press("f3")
        await pilot.pause()
        assert app.chat.region.width > 60 and app.editor.region.width == 0
        assert app.focused is not None and app.chat in app.focused.ancestors_with_self
        await pilot.press("f4")
        await pilot.pause()
        assert app.templates.region.width > 60 and app.chat.region.width == 0
        await pilot.press("f2")
        await pilot.pause()
        assert app.focused is app.editor


async def test_panes_side_by_side_when_wide() -> None:
    app = make_app(None, None)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        e, c, t = app.editor.region, app.chat.region, app.templates.region
        assert e.width > c.width > 0 and t.width > 0
        assert e.x < c.x < t.x
        await pilot.press("f3")
        await pilot.pause()
        assert app.focused is not None and app.chat in app.focused.ancestors_with_self
        assert app.editor.region.width > 0  # still visible


async def test_f1_lists_every_key() -> None:
    app = make_app(None, None)
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        rows = app.screen.rows  # type: ignore[attr-defined]
        keys = {k for _, k, _, _ in rows}
        # Keys as people read them (Tab, Esc, Ctrl+S), not as Textual names them.
        for key in ("Tab", "Esc", "Ctrl+Z", "Ctrl+Y", "Ctrl+S", "Ctrl+O", "F1", "F2", "F3"):
            assert key in keys, key
        for key in (
            "F4",
            "F5",
            "Ctrl+P",
            "Ctrl+Q",
            "Enter",
            "Ctrl+J",
            "Ctrl+R",
            "Ctrl+T",
            "Ctrl+G",
        ):
            assert key in keys, key
        assert "Ctrl+G" in keys
        assert not {k for k in keys if "ctrl+" in k or k in ("tab", "escape", "enter")}, keys
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_command_palette_offers_the_actions(tmp_path: Path, tiny_gguf: Path) -> None:
    app = make_app(tmp_path / "p.md", tiny_gguf)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot, app)
        await pilot.press(*"Dawn")
        await pilot.press("ctrl+p")
        await pilot.press(*"continue text")
        await pilot.pause(0.3)
        await continued(pilot, app, "enter")
        await wait_until(pilot, lambda: len(app.editor.text) > 4)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for title in ("Save", "Open file…", "Help", "Models", "Stop generating", "Show chat"):
            assert title in titles
        for title in ("Undo", "Redo", "Chat: regenerate", "Chat: insert reply", "Chat: clear"):
            assert title in titles
        grown = app.editor.text
        await pilot.press("ctrl+p", *"undo")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.editor.text == "Dawn")  # the continuation, undone
        assert grown != "Dawn"


async def test_keymap_from_config_remaps_continue(tmp_path: Path, tiny_gguf: Path) -> None:
    app = make_app(tmp_path / "k.md", tiny_gguf, keymap={"editor.continue": "f9"})
    async with app.run_test() as pilot:
        await ready(pilot, app)
        await pilot.press(*"Go")
        await continued(pilot, app, "f9")
        assert len(app.editor.text) > 2
        await pilot.press("f1")
        rows = app.screen.rows  # type: ignore[attr-defined]
        assert ("Editor", "F9", "Continue", "editor.continue") in rows


async def test_malformed_config_gives_defaults_and_a_warning(user_dirs: dict[str, Path]) -> None:
    from tui import config

    config.config_path().write_text("theme = [unclosed\n")
    app = QuillpenApp(None)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert app.settings.warnings
        assert any("config.toml" in n.message for n in app._notifications)
        assert app.settings.continue_tokens == Settings().continue_tokens


async def test_no_model_still_edits_saves_and_says_how(tmp_path: Path) -> None:
    path = tmp_path / "n.md"
    app = make_app(path, None)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert app.status.state == "no model"
        assert any("F5" in n.message for n in app._notifications)
        await pilot.press(*"text")
        await pilot.press("tab")
        assert app.editor.text == "text"
        assert any("No model is loaded" in n.message for n in app._notifications)
        await pilot.press("ctrl+s")
        assert path.read_text() == "text"


async def test_template_use_writes_opening_and_generates(tmp_path: Path, tiny_gguf: Path) -> None:
    app = make_app(tmp_path / "t.md", tiny_gguf)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, app)
        haiku = next(t for t in app.templates.templates if t.title == "Haiku")  # type: ignore[attr-defined]
        await app.templates.show(haiku)  # type: ignore[attr-defined]
        await pilot.press("f4")
        await pilot.press("ctrl+g")
        await wait_until(
            pilot, lambda: "autumn" in app.editor.text.lower() or len(app.editor.text) > 20
        )
        await finished(pilot, app)
        assert isinstance(app.screen, MainScreen) and app.screen.pane == "editor"
        assert app.editor.marks  # the continuation after the opening is marked


async def test_chat_reply_inserted_into_document(tmp_path: Path, tiny_gguf: Path) -> None:
    app = make_app(tmp_path / "c.md", tiny_gguf)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, app)
        await pilot.press(*"Start.")
        await pilot.press("f3")
        app.chat.input.text = "Any ideas?"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(app.chat.last_reply), 20)  # type: ignore[attr-defined]
        await finished(pilot, app)
        reply = app.chat.last_reply  # type: ignore[attr-defined]
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert app.editor.text.startswith("Start.")
        assert reply.strip()[:10] in app.editor.text


async def test_file_changed_on_disk_asks_before_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "d.md"
    path.write_text("mine")
    app = make_app(path, None)
    async with app.run_test() as pilot:
        await pilot.press("end", *"!")
        time.sleep(0.01)
        path.write_text("someone else's")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, Choice))
        await pilot.press("escape")
        assert path.read_text() == "someone else's"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, Choice))
        await pilot.click("#overwrite")
        await wait_until(pilot, lambda: path.read_text() == "mine!")


async def test_recovery_journal_brings_back_unsaved_text(tmp_path: Path) -> None:
    path = tmp_path / "r.md"
    path.write_text("saved")
    app = make_app(path, None)
    async with app.run_test() as pilot:
        await pilot.press("end", *" and unsaved")
        recovery = journal.journal_path(app.session.document.path)
        await wait_until(pilot, lambda: recovery.exists(), 3)
    assert path.read_text() == "saved"
    again = make_app(path, None)
    async with again.run_test() as pilot:
        await pilot.pause()
        assert again.editor.text == "saved and unsaved"
        assert any("Recovered" in (n.title or "") for n in again._notifications)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not recovery.exists())


async def test_non_utf8_file_offers_latin1(tmp_path: Path) -> None:
    path = tmp_path / "old.txt"
    path.write_bytes("café au lait".encode("latin-1"))
    app = make_app(path, None)
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, Choice))
        await pilot.click("#latin1")
        await wait_until(pilot, lambda: app.editor.text == "café au lait")
        await pilot.press("end", *"!")
        await pilot.press("ctrl+s")
        assert path.read_bytes() == "café au lait!".encode("latin-1")


async def test_editing_generated_text_unmarks_it(tmp_path: Path, tiny_gguf: Path) -> None:
    app = make_app(tmp_path / "m.md", tiny_gguf, continue_tokens=20)
    async with app.run_test() as pilot:
        await ready(pilot, app)
        await pilot.press(*"Hi")
        await continued(pilot, app, "tab")
        assert len(app.editor.marks) == 1
        mark = app.editor.marks[0]
        styled = app.editor.get_line(mark.start[0])
        assert any(span.style for span in styled.spans)
        app.editor.move_cursor(mark.end)
        await pilot.press("backspace")
        assert app.editor.marks == []


async def test_word_count_in_status(tmp_path: Path) -> None:
    path = tmp_path / "w.md"
    path.write_text("one two three")
    app = make_app(path, None)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert app.status.words == 3
        await pilot.press("end", "space", *"four")
        await wait_until(pilot, lambda: app.status.words == 4, 3)


async def test_editor_is_a_textarea_with_soft_wrap() -> None:
    app = make_app(None, None)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert isinstance(app.editor, TextArea) and app.editor.soft_wrap


async def test_autosave_saves_named_documents(tmp_path: Path) -> None:
    path = tmp_path / "auto.md"
    path.write_text("a")
    app = make_app(path, None, autosave_seconds=5)
    async with app.run_test() as pilot:
        await pilot.press("end", *"bc")
        app.session.autosave()  # what the interval timer calls
        assert path.read_text() == "abc"
        assert not app.session.dirty


async def test_ctrl_n_starts_a_new_document_after_asking(tmp_path: Path) -> None:
    path = tmp_path / "old.md"
    path.write_text("old")
    app = make_app(path, None)
    async with app.run_test() as pilot:
        await pilot.press("ctrl+n")
        assert app.editor.text == "" and app.sub_title == "untitled"
        await pilot.press(*"fresh")
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: isinstance(app.screen, Choice))
        await pilot.press("escape")
        assert app.editor.text == "fresh"
    assert path.read_text() == "old"


async def test_f6_offers_alternatives_and_inserts_the_pick(tmp_path: Path, tiny_gguf: Path) -> None:
    from tui.screens.alternatives import AlternativesScreen

    app = make_app(tmp_path / "alt.md", tiny_gguf)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot, app)
        await pilot.press(*"Night")
        await pilot.press("f6")
        await wait_until(pilot, lambda: isinstance(app.screen, AlternativesScreen))
        screen = app.screen
        assert isinstance(screen, AlternativesScreen)
        await wait_until(pilot, lambda: len(screen.done) == 3, 20)
        assert len(set(screen.texts)) > 1, "different seeds give different alternatives"
        second = screen.texts[1]
        await pilot.press("2")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert app.editor.text == "Night" + second
        assert app.editor.marks
        await pilot.press("ctrl+z")
        assert app.editor.text == "Night"


async def test_f8_memory_and_note_steer_the_prompt(
    tmp_path: Path, tiny_gguf: Path, tiny_engine: Engine, submitted: list[GenerateRequest]
) -> None:
    from tui.screens.notes import NotesScreen

    sent = submitted
    path = tmp_path / "n.md"
    app = make_app(path, tiny_gguf, continue_tokens=5)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot, app)
        await pilot.press(*"It rained.")
        await pilot.press("f8")
        await wait_until(pilot, lambda: isinstance(app.screen, NotesScreen))
        app.screen.query_one("#memory", TextArea).text = "Mara is a lighthouse keeper."
        app.screen.query_one("#note", TextArea).text = "ominous"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        await continued(pilot, app, "tab")
        # The prompt the engine process built from what the app sent, built again here.
        text = tiny_engine.detokenize(build(sent[-1].prompt, tiny_engine, 5).tokens)
        assert text.startswith("Mara is a lighthouse keeper.")
        assert "[Author's note: ominous]" in text and "It rained." in text
        await pilot.press("ctrl+s")
    again = make_app(path, None)
    async with again.run_test() as pilot:
        await pilot.pause()
        assert again.session.notes.memory == "Mara is a lighthouse keeper."


async def test_app_engine_uses_every_cpu(tmp_path: Path, tiny_gguf: Path) -> None:
    from models.local.engine import available_threads

    app = make_app(tmp_path / "t.md", tiny_gguf)
    async with app.run_test() as pilot:
        await ready(pilot, app)
        assert app.engine.model is not None
        assert app.engine.model.threads == available_threads()
    chosen = QuillpenApp(None, threads=3, settings=Settings())
    assert chosen.threads == 3


async def test_one_undo_removes_a_long_continuation_whole(
    tmp_path: Path, tiny_gguf: Path, slow_stream: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """200 tokens arrive in far more chunks than Textual keeps undo steps by default (50)."""
    import tui.widgets.editor

    monkeypatch.setattr(
        tui.widgets.editor, "UI_SHARE", 1e9
    )  # the fastest flush rate, whatever the redraw
    chunks: list[int] = []
    original = WriterEditor.on_generation_chunk

    def count(self: WriterEditor, message: Any) -> None:
        chunks.append(1)
        original(self, message)

    monkeypatch.setattr(WriterEditor, "on_generation_chunk", count)
    app = make_app(
        tmp_path / "s.md", tiny_gguf, continue_tokens=200, sampler=SamplerSettings(seed=3)
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, app)
        await pilot.press(*"Before", "enter", *"the storm")
        typed = app.editor.text
        await continued(pilot, app, "tab")
        assert app.editor.last_stats.generated_tokens > 100 and len(chunks) > 60
        assert len(app.editor.text) > len(typed)
        await pilot.press("ctrl+z")
        assert app.editor.text == typed
        await pilot.press("ctrl+z")  # and the typing before it is still undoable
        assert app.editor.text != typed


async def streaming(pilot: Any, app: QuillpenApp) -> str:
    """Type "Dusk" and Tab: returns once text streams in (slowed: ~6 s for 300 tokens)."""
    await ready(pilot, app)
    await pilot.press(*"Dusk")
    before = app.editor.text
    await pilot.press("tab")
    await wait_until(pilot, lambda: len(app.editor.text) > 10)
    return before


async def test_typing_where_the_model_writes_takes_over_in_its_own_undo_step(
    tmp_path: Path, tiny_gguf: Path, slow_stream: None
) -> None:
    # 300 slowed tokens (~6 s): the words land while the text still streams, on any machine.
    app = make_app(tmp_path / "s.md", tiny_gguf, continue_tokens=300)
    async with app.run_test(size=(80, 24)) as pilot:
        before = await streaming(pilot, app)
        typed = " and then more"
        for char in typed:  # as the terminal delivers them (pilot.press waits for idle)
            app.post_message(events.Key("space" if char == " " else char, char))
        await wait_until(pilot, lambda: app.editor.text.endswith(typed))
        await finished(pilot, app)
        after = app.editor.text
        assert after.endswith(typed)  # the model stopped: its words never split the writer's
        assert app.editor.last_stats.stopped_by == "cancel"
        model_text = after[len(before) : -len(typed)]
        assert model_text, "what it wrote before is kept"
        assert app.editor.generated_ranges() == [(len(before), len(before + model_text))]
        await pilot.press("ctrl+z")
        assert app.editor.text == before + model_text  # the writer's words: one step
        await pilot.press("ctrl+z")
        assert app.editor.text == before  # the continuation: one step
        await pilot.press("ctrl+y", "ctrl+y")
        assert app.editor.text == after


async def test_typing_elsewhere_during_a_stream_undoes_with_it_in_one_step(
    tmp_path: Path, tiny_gguf: Path, slow_stream: None
) -> None:
    app = make_app(tmp_path / "s.md", tiny_gguf, continue_tokens=300)
    async with app.run_test(size=(80, 24)) as pilot:
        before = await streaming(pilot, app)
        app.editor.move_cursor((0, 0))  # back to the start, while the text streams on
        for char in "At ":
            app.post_message(events.Key("space" if char == " " else char, char))
        await wait_until(pilot, lambda: app.editor.text.startswith("At Dusk"))
        assert app.editor.generating, "the words landed while the text streamed"
        await pilot.press("escape")
        await finished(pilot, app)
        after = app.editor.text
        await pilot.press("ctrl+z")
        assert app.editor.text == before  # one step, not one per chunk and word
        await pilot.press("ctrl+y")
        assert app.editor.text == after


async def test_undo_while_text_streams_stops_it(
    tmp_path: Path, tiny_gguf: Path, slow_stream: None
) -> None:
    app = make_app(tmp_path / "s.md", tiny_gguf, continue_tokens=300)
    async with app.run_test(size=(80, 24)) as pilot:
        await streaming(pilot, app)
        await pilot.press("ctrl+z")
        assert app.editor.text == "Dusk"
        await finished(pilot, app)
        assert app.editor.text == "Dusk"  # nothing more arrived after the undo
        assert app.editor.last_stats.stopped_by == "cancel"
        assert app.editor.last_stats.generated_tokens < 300
        await continued(pilot, app, "tab")  # the next Tab writes (it does not just stop)
        assert len(app.editor.text) > len("Dusk")


async def test_undo_after_a_long_template_continuation(
    tmp_path: Path, tiny_gguf: Path, slow_stream: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Template, then its continuation in many chunks: Ctrl+Z undoes the continuation, Ctrl+Z
    again the template's text, and the text before them is back."""
    import dataclasses

    import tui.widgets.editor
    from tui.templates import load_builtin, render
    from tui.widgets.templates import TemplatePane

    monkeypatch.setattr(tui.widgets.editor, "UI_SHARE", 1e9)  # the fastest flush rate: many chunks
    # A fixed seed: unseeded, the random tiny model may end its text early.
    monkeypatch.setattr(tui.widgets.editor, "preset", lambda name: SamplerSettings(seed=3))
    template = dataclasses.replace(load_builtin()[0], max_tokens=200, stop=())
    app = make_app(tmp_path / "t.md", tiny_gguf)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, app)
        await pilot.press(*"Notes")
        before = app.editor.text
        app.post_message(TemplatePane.Use(render(template), template))
        await wait_until(pilot, lambda: app.editor.generating)
        await finished(pilot, app)
        assert app.editor.last_stats.generated_tokens > 100
        await pilot.press("ctrl+z")
        with_template = app.editor.text
        assert with_template.startswith(before) and render(template).strip() in with_template
        await pilot.press("ctrl+z")
        assert app.editor.text == before


async def test_a_template_loads_the_model_it_is_written_for(
    tmp_path: Path, tiny_gguf: Path
) -> None:
    import dataclasses
    import shutil

    other = shutil.copy(tiny_gguf, tmp_path / "other.gguf")

    from tui.templates import load_builtin, render
    from tui.widgets.templates import TemplatePane

    template = dataclasses.replace(load_builtin()[0], model=str(other), max_tokens=8)
    app = make_app(tmp_path / "t.md", tiny_gguf)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, app)
        assert app.model_path is not None and app.model_path.samefile(tiny_gguf)
        app.post_message(TemplatePane.Use(render(template), template))
        await wait_until(
            pilot, lambda: app.model_path is not None and app.model_path.samefile(other), 30
        )
        await wait_until(pilot, lambda: app.editor.last_stats.generated_tokens > 0, 30)
        assert render(template).strip() in app.editor.text


async def test_a_template_for_a_model_not_downloaded_says_how_to_get_it(
    tmp_path: Path, tiny_gguf: Path
) -> None:
    from tui.templates import load_builtin, render
    from tui.widgets.templates import TemplatePane

    template = next(t for t in load_builtin() if t.model == "gpt2-chinese-poem")
    app = make_app(tmp_path / "t.md", tiny_gguf)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, app)
        app.post_message(TemplatePane.Use(render(template), template))

        def told() -> list[str]:
            return [n.message for n in app._notifications if "models pull" in n.message]

        await wait_until(pilot, told)
        assert "gpt2-chinese-poem" in told()[0]
        assert render(template) not in app.editor.text and not app.editor.generating  # (#21)
        assert app.model_path is not None and app.model_path.samefile(tiny_gguf)  # kept


async def test_ctrl_shift_home_and_end_select_to_the_ends(tmp_path: Path) -> None:
    path = tmp_path / "sel.md"
    path.write_text(POEM)
    app = make_app(path, None)
    async with app.run_test() as pilot:
        await pilot.press("ctrl+home", "down", "ctrl+shift+end")
        assert app.editor.selected_text == "the sea a slow drum.\n"
        await pilot.press("ctrl+shift+home")  # from the same place, up to the start
        assert app.editor.selected_text == "The moon is a lantern,\n"
        await pilot.press("X")
        assert app.editor.text == "Xthe sea a slow drum.\n"
        await pilot.press("ctrl+z")
        assert app.editor.text == POEM


async def test_autosave_never_writes_over_a_file_changed_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "auto.md"
    path.write_text("a")
    app = make_app(path, None, autosave_seconds=5)
    async with app.run_test() as pilot:
        await pilot.press("end", *"bc")
        path.write_text("another program's text")
        app.session.autosave()  # what the interval timer calls
        assert path.read_text() == "another program's text"
        assert app.session.dirty and app.editor.text == "abc"  # still unsaved, still here


async def test_undo_and_redo_that_take_the_scrollbar_away_keep_the_app_up(tmp_path: Path) -> None:
    """A continuation long enough to scroll, then Ctrl+Z with the cursor at its end: the text
    gets shorter than the screen while the cursor is still past its end (Textual resized the
    area before moving the cursor back, raised ValueError and ended the app)."""
    app = make_app(tmp_path / "u.md", None)
    async with app.run_test(size=(80, 24)) as pilot:
        editor = app.editor
        await pilot.press(*"Notes")
        editor.insert("\n" + "\n".join(f"line {i}" for i in range(40)))
        await wait_until(pilot, lambda: editor.show_vertical_scrollbar)
        await pilot.press("ctrl+z")
        await wait_until(pilot, lambda: editor.text == "Notes")
        assert app.is_running and not editor.show_vertical_scrollbar
        assert editor.selection.end == (0, 5)

        await pilot.press("ctrl+y")  # the long text is back, the cursor at its end
        await wait_until(pilot, lambda: editor.show_vertical_scrollbar)
        editor.select_all()
        await pilot.press("delete")
        await wait_until(pilot, lambda: editor.text == "")
        await pilot.press("ctrl+z", "ctrl+end", "ctrl+y")  # redo the delete from the end
        await wait_until(pilot, lambda: editor.text == "")
        assert app.is_running


async def test_undo_of_a_long_paste_in_the_chat_box_keeps_the_app_up(tmp_path: Path) -> None:
    """The same Textual fault in the side panes' and dialogs' text areas (SafeTextArea)."""
    app = make_app(tmp_path / "c.md", None)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f3")
        box = app.chat.query_one("#chat-input", TextArea)
        await wait_until(pilot, lambda: app.focused is box)
        box.insert("\n".join(f"line {i}" for i in range(40)))
        await wait_until(pilot, lambda: box.show_vertical_scrollbar)
        await pilot.press("ctrl+z")
        await wait_until(pilot, lambda: box.text == "")
        assert app.is_running
