"""Drawing a long paragraph: each wrapped line is styled and divided once a frame, not once per
row (typing into a long paragraph redrew it row by row, 15-25 ms a key; docs/performance.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import wait_until
from rich.text import Text
from textual.geometry import Region
from textual.widgets import TextArea

from tui.app import QuillpenApp
from tui.config import Settings
from tui.textual_private import forget_rendered_lines
from tui.widgets.generated_text import Mark

PARAGRAPH = ("the keeper climbed the stairs as the storm rolled in from the grey sea " * 19).strip()


async def long_paragraph(tmp_path: Path, pilot: object, app: QuillpenApp) -> None:
    editor = app.editor
    editor.load_text("A title line\n" + PARAGRAPH + "\nlast line")
    editor.marks.append(Mark((1, 10), (1, 900)))  # model text across many rows
    editor.move_cursor((1, 40))
    editor.selection = editor.selection.__class__((1, 30), (1, 400))  # a selection over rows
    await wait_until(pilot, lambda: editor.wrapped_document.height > 20)  # type: ignore[arg-type]


@pytest.fixture
def app(tmp_path: Path) -> QuillpenApp:
    return QuillpenApp(tmp_path / "long.md", settings=Settings())


async def test_a_frame_divides_each_wrapped_line_once(
    app: QuillpenApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await long_paragraph(tmp_path, pilot, app)
        editor = app.editor
        divided: list[int] = []
        original = Text.divide

        def counting(self: Text, offsets: object) -> object:
            divided.append(len(self))
            return original(self, offsets)  # type: ignore[arg-type]

        monkeypatch.setattr(Text, "divide", counting)
        forget_rendered_lines(editor)
        rows = editor.size.height
        editor.render_lines(Region(0, 0, editor.size.width, rows))
        long_divisions = [n for n in divided if n > len(PARAGRAPH)]
        assert len(long_divisions) == 1, f"the paragraph was divided {len(long_divisions)} times"


async def test_a_frame_draws_what_row_by_row_drawing_draws(
    app: QuillpenApp, tmp_path: Path
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await long_paragraph(tmp_path, pilot, app)
        editor = app.editor
        rows = editor.size.height
        forget_rendered_lines(editor)
        frame = editor.render_lines(Region(0, 0, editor.size.width, rows))
        forget_rendered_lines(editor)  # as TextArea draws it: each row styled and divided afresh
        stock = TextArea.render_lines(editor, Region(0, 0, editor.size.width, rows))
        assert editor._divided is None  # (the stock path kept no division)
        for y, (a, b) in enumerate(zip(frame, stock, strict=True)):
            assert list(a) == list(b), f"row {y} differs"
        texts = ["".join(s.text for s in strip) for strip in frame]
        assert any("keeper climbed" in t for t in texts)
        styles = {s.style for strip in frame for s in strip if s.text.strip()}
        assert len(styles) >= 3  # plain, the model's text and the selection, all drawn
