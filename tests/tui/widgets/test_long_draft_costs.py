"""What a long draft must not cost: the whole text joined per drawn row, the whole draft wrapped
again when the find bar opens (a height change). Counted, not timed (bench/long_draft.py times)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.document._document import Document
from textual.document._wrapped_document import WrappedDocument

from tests.support.helpers import wait_until
from tests.tui.test_app import make_app
from tui.widgets.find_bar import FindBar

DRAFT = "\n\n".join(f"Paragraph {n}: the keeper climbed the stairs again." for n in range(400))


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    calls = {"text": 0, "wrap": 0}
    text, wrap = Document.text.fget, WrappedDocument.wrap
    assert text is not None

    def counted_text(self: Document) -> str:
        calls["text"] += 1
        return text(self)

    def counted_wrap(self: WrappedDocument, width: int, tab_width: int | None = None) -> None:
        calls["wrap"] += 1
        wrap(self, width, tab_width)

    monkeypatch.setattr(Document, "text", property(counted_text))
    monkeypatch.setattr(WrappedDocument, "wrap", counted_wrap)
    return calls


async def test_a_frame_never_joins_the_whole_text(tmp_path: Path, counted: dict[str, int]) -> None:
    path = tmp_path / "draft.txt"
    path.write_text(DRAFT, encoding="utf-8")
    app = make_app(path, None)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        editor = app.editor
        drawn = editor.render_line
        joins: list[int] = []  # the whole text joined while each row was drawn

        def draw(y: int) -> object:
            before = counted["text"]
            strip = drawn(y)
            joins.append(counted["text"] - before)
            return strip

        editor.render_line = draw  # type: ignore[assignment,method-assign]
        editor.refresh()  # one frame of every row
        await wait_until(pilot, lambda: len(joins) >= editor.size.height)
        assert not any(joins)
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
