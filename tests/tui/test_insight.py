"""Token insight in the app: F9 colours the text by how expected each token was (scored in one
pass, and generated text as it streams); Ctrl+R on a word offers the model's other choices, and
a pick rewrites the rest of that continuation from it, as one undo step."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import OptionList

from models.sampling import SamplerSettings
from tests.support.helpers import continued, wait_until
from tui.app import QuillpenApp
from tui.config import Settings
from tui.screens.token_choice import TokenChoiceScreen
from tui.widgets.insight import BUCKETS, RARE

COLOURS = {style.bgcolor for _, style in BUCKETS} | {RARE.bgcolor}


def make_app(path: Path, model: Path, **settings: Any) -> QuillpenApp:
    return QuillpenApp(path, model=str(model), settings=Settings(**settings))


def coloured(app: QuillpenApp, row: int) -> set[Any]:
    return {span.style.bgcolor for span in app.editor.get_line(row).spans} & COLOURS


async def test_f9_scores_the_writers_text_and_an_edit_scores_it_again(
    tmp_path: Path, tiny_gguf: Path
) -> None:
    path = tmp_path / "s.md"
    path.write_text("The keeper climbed the stairs.\nThe lamp was out.", encoding="utf-8")
    app = make_app(path, tiny_gguf)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.model_name is not None, 20)
        editor = app.editor
        assert not coloured(app, 0)
        await pilot.press("f9")
        await wait_until(pilot, lambda: bool(editor.insight.spans), 20)
        spans = editor.insight.spans
        assert "".join(s.info.text for s in spans) == editor.text  # every token, in order
        assert spans[-1].end == editor.document.end
        assert coloured(app, 0) and coloured(app, 1)
        await pilot.press("end", *"!")
        assert not editor.insight.spans  # out of date at once…
        await wait_until(pilot, lambda: bool(editor.insight.spans), 10)  # …and scored again
        assert "".join(s.info.text for s in editor.insight.spans) == editor.text
        await pilot.press("f9")
        assert not coloured(app, 0)


async def test_ctrl_r_swaps_a_generated_word_and_rewrites_from_it(
    tmp_path: Path, tiny_gguf: Path
) -> None:
    app = make_app(
        tmp_path / "s.md", tiny_gguf, continue_tokens=12, sampler=SamplerSettings(seed=5)
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.model_name is not None, 20)
        editor = app.editor
        await pilot.press(*"Once upon a time", "f9")
        await wait_until(pilot, lambda: bool(editor.insight.spans), 20)
        await continued(pilot, app, "tab")
        generated = [s for s in editor.insight.spans if s.start >= (0, len("Once upon a time"))]
        assert len(generated) >= 6 and all(s.info.top for s in generated)  # from the stream
        before = editor.text
        third = generated[2]
        editor.move_cursor(third.end)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: isinstance(app.screen, TokenChoiceScreen))
        screen = app.screen
        assert isinstance(screen, TokenChoiceScreen) and screen.info == third.info
        choice = screen.choices[0]
        screen.query_one(OptionList).highlighted = 0
        await continued(pilot, app, "enter")
        head = before[: len("Once upon a time") + sum(len(s.info.text) for s in generated[:2])]
        assert editor.text.startswith(head + choice)
        assert editor.text != before
        await pilot.press("ctrl+z")  # the swap and what followed it: one step
        assert editor.text == before


async def test_a_phrase_banned_in_f8_is_never_written(
    tmp_path: Path, tiny_gguf: Path, submitted: list[Any]
) -> None:
    """Greedy text first; then its first two words banned (in this document, and one more in
    config.toml): the same continuation again never contains them, and the ban is kept."""
    from textual.widgets import TextArea

    from tui.screens.main import MainScreen
    from tui.screens.notes import NotesScreen

    greedy = SamplerSettings(top_k=1, seed=1)
    path = tmp_path / "b.md"
    app = make_app(path, tiny_gguf, continue_tokens=16, sampler=greedy, bans=("zzz",))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.model_name is not None, 20)
        await pilot.press(*"The storm")
        start = app.editor.text
        await continued(pilot, app, "tab")
        first = app.editor.text[len(start) :]
        phrase = " ".join(first.split()[:2])  # its first two words
        assert len(phrase) > 3 and phrase in first
        await pilot.press("ctrl+z")
        await pilot.press("f8")
        await wait_until(pilot, lambda: isinstance(app.screen, NotesScreen))
        app.screen.query_one("#bans", TextArea).text = phrase + "\n"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        await continued(pilot, app, "tab")
        again = app.editor.text[len(start) :]
        assert phrase not in again and again  # rolled back and written otherwise
        assert submitted[-1].bans == ("zzz", phrase)
        await pilot.press("ctrl+s")
    reopened = make_app(path, tiny_gguf)
    async with reopened.run_test() as pilot:
        await wait_until(pilot, lambda: reopened.session.notes.bans == (phrase,))
