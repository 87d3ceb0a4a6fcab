"""Drawing a long paragraph: each wrapped line is styled and divided once a frame, not once per
row (typing into a long paragraph redrew it row by row, 15-25 ms a key; docs/performance.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.text import Text
from textual.geometry import Region
from textual.widgets import TextArea

import tui.text_stats as text_stats_module
from tests.support.helpers import wait_until
from tui.app import QuillpenApp
from tui.config import Settings
from tui.text_stats import LineCounts, text_stats
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


async def test_a_frame_of_a_long_draft_does_not_walk_every_line(tmp_path: Path) -> None:
    """Textual summed the rows of every document line for each row drawn (its wrapped
    document's height): typing into a 20,000-line draft took ≈ 250 ms a key."""
    path = tmp_path / "novel.md"
    path.write_text("\n".join(f"{i}: {PARAGRAPH[: 40 + i % 200]}" for i in range(5000)))
    app = QuillpenApp(path, settings=Settings())
    async with app.run_test(size=(80, 24)) as pilot:
        editor = app.editor
        await wait_until(pilot, lambda: editor.document.line_count == 5000)
        wrapped = editor.wrapped_document
        walks: list[int] = []

        class Walked(list):  # type: ignore[type-arg]
            def __iter__(self):  # type: ignore[no-untyped-def]
                walks.append(1)
                return super().__iter__()

        wrapped._wrap_offsets = Walked(wrapped._wrap_offsets)
        forget_rendered_lines(editor)
        editor.refresh()  # one frame, drawn as the app draws it
        await pilot.pause()
        assert editor.region.height > 10
        assert not walks, f"{len(walks)} walks over all 5,000 lines for one frame"


async def test_the_row_count_stays_right_through_edits(tmp_path: Path) -> None:
    app = QuillpenApp(tmp_path / "rows.md", settings=Settings())
    async with app.run_test(size=(60, 20)) as pilot:
        editor = app.editor
        wrapped = editor.wrapped_document

        def summed() -> int:  # Textual's own way of counting the rows
            return sum(len(offsets) + 1 for offsets in wrapped._wrap_offsets)

        editor.load_text("\n".join(PARAGRAPH[: 30 * i] for i in range(1, 30)))
        wrapped = editor.wrapped_document
        steps = [
            lambda: editor.insert("a new line\n" * 5, (3, 0)),
            lambda: editor.delete((2, 0), (9, 4)),
            lambda: editor.insert(PARAGRAPH, (0, 0)),
            editor.undo,
            editor.undo,
            editor.redo,
        ]
        for step in steps:
            step()
            await pilot.pause()
            assert wrapped.height == summed() > 0
        await pilot.resize_terminal(100, 30)
        await wait_until(pilot, lambda: editor.wrap_width > 60)
        assert editor.wrapped_document.height == sum(
            len(o) + 1 for o in editor.wrapped_document._wrap_offsets
        )
        editor.scroll_end(animate=False)
        await pilot.pause()
        last = "".join(s.text for s in editor.render_line(editor.size.height - 1)).strip()
        assert last and last in editor.document.get_line(editor.document.line_count - 1)


def test_line_by_line_counts_equal_the_whole_texts() -> None:
    counts = LineCounts()
    lines = [
        "The moon is a lantern,",
        "",
        "床前明月光，疑是地上霜。",
        "我爱 python 和 Textual",
        "  x\ty  ",
    ]
    for step in range(6):
        text = "\n".join(lines)
        assert counts.count(lines) == text_stats(text), step
        lines = [*lines[1:], f"line {step} 月 with\u3000spaces", lines[0]]  # changed, moved


async def test_a_key_in_a_long_draft_recounts_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The status bar's count half a second after a key: over a 1 MB draft the whole-text
    count took 50-120 ms, a pause in the typing."""
    path = tmp_path / "novel.md"
    path.write_text("\n".join(f"{i}: {PARAGRAPH[: 40 + i % 200]}" for i in range(3000)))
    app = QuillpenApp(path, settings=Settings())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.status.words > 3000)
        counted: list[str] = []
        original = text_stats_module.text_stats
        monkeypatch.setattr(
            text_stats_module, "text_stats", lambda text: counted.append(text) or original(text)
        )
        app.editor.move_cursor((10, 0))
        await pilot.press("w", "o", "r", "d", "space")
        words = text_stats(app.editor.text).words
        await wait_until(pilot, lambda: app.status.words == words)
        recounted = sum(map(len, counted))
        assert counted and recounted < 1000, f"{recounted:,} of {len(app.editor.text):,} characters"
