"""What a long draft must not cost: the whole text joined per drawn row, the whole draft wrapped
again when the find bar opens (a height change). Counted, not timed (bench/long_draft.py times)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.document._document import Document
from textual.document._wrapped_document import WrappedDocument

from tests.support.helpers import wait_until
from tests.tui.test_app import make_app
from tui import textual_private
from tui.widgets.find_bar import FindBar

DRAFT = "\n\n".join(f"Paragraph {n}: the keeper climbed the stairs again." for n in range(400))


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    calls = {"text": 0, "wrap": 0}
    join, wrap = textual_private.join_lines, WrappedDocument.wrap

    def counted_join(document: Document) -> str:
        calls["text"] += 1
        return join(document)

    def counted_wrap(self: WrappedDocument, width: int, tab_width: int | None = None) -> None:
        calls["wrap"] += 1
        wrap(self, width, tab_width)

    monkeypatch.setattr(textual_private, "join_lines", counted_join)
    monkeypatch.setattr(WrappedDocument, "wrap", counted_wrap)
    return calls


async def test_a_frame_joins_the_whole_text_at_most_once(
    tmp_path: Path, counted: dict[str, int]
) -> None:
    path = tmp_path / "draft.txt"
    path.write_text(DRAFT, encoding="utf-8")
    app = make_app(path, None)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        editor = app.editor
        editor.insert("x", (200, 0))  # a key: the text changed
        drawn = editor.render_line
        rows: list[int] = []
        editor.render_line = lambda y: rows.append(y) or drawn(y)  # type: ignore[method-assign]
        before = counted["text"]
        editor.refresh()  # one frame of every row
        await wait_until(pilot, lambda: len(rows) >= editor.size.height)
        assert counted["text"] - before <= 1  # (once per change, not once per row)
        assert editor.text is editor.text  # kept, not joined again at each read
        editor.undo()
        assert editor.text == DRAFT  # (read outside a frame: the text itself)


async def test_the_find_bar_opens_without_wrapping_the_draft_again(
    tmp_path: Path, counted: dict[str, int]
) -> None:
    path = tmp_path / "draft.txt"
    path.write_text(DRAFT, encoding="utf-8")
    app = make_app(path, None)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        height = app.editor.size.height
        wraps = counted["wrap"]
        await pilot.press("ctrl+backslash")  # two rows: the editor loses two
        await wait_until(
            pilot, lambda: app.screen.query(FindBar) and app.editor.size.height < height
        )
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.editor.size.height == height)
        assert counted["wrap"] == wraps
        row = app.editor.wrapped_document._offset_to_line_info[-1]
        assert row[0] == app.editor.document.line_count - 1  # the rows still match the text


async def test_the_kept_text_follows_edits_undo_and_redo(tmp_path: Path) -> None:
    path = tmp_path / "draft.txt"
    path.write_text("one\ntwo\n", encoding="utf-8")
    app = make_app(path, None)
    async with app.run_test(size=(80, 24)) as pilot:
        editor = app.editor
        assert editor.text == "one\ntwo\n"
        await pilot.press("x")
        assert editor.text == "one\ntwo\nx" == "\n".join(editor.document.lines)
        editor.replace("ONE", (0, 0), (0, 3))
        assert editor.text.startswith("ONE\n")
        editor.undo()
        assert editor.text == "one\ntwo\nx"
        editor.redo()
        assert editor.text == "ONE\ntwo\nx"
        editor.load_text("new")
        assert editor.text == "new"
