"""The app's undo steps: a continuation is one step, typing during a stream, undo while it
streams, and undo that takes the scrollbar away."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.widgets import TextArea

from models.sampling import SamplerSettings
from tests.support.app import finished, make_app, ready, streaming
from tests.support.helpers import continued, wait_until
from tui.widgets.editor import WriterEditor


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
        app.panes.templates.post_message(TemplatePane.Use(render(template), template))
        await wait_until(pilot, lambda: app.editor.generating)
        await finished(pilot, app)
        assert app.editor.last_stats.generated_tokens > 100
        await pilot.press("ctrl+z")
        with_template = app.editor.text
        assert with_template.startswith(before) and render(template).strip() in with_template
        await pilot.press("ctrl+z")
        assert app.editor.text == before


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
