"""Markdown highlighting in the editor: tree-sitter's grammar, the lines on screen only."""

from __future__ import annotations

from pathlib import Path

from rich.style import Style

from tests.support.helpers import wait_until
from tests.tui.test_app import make_app
from tui.widgets.generated_text import GENERATED_STYLE
from tui.widgets.markdown_styles import MarkdownStyler, _Grammar

DRAFT = """\
# Chapter One

The sea was *slow* and **grey**, and `lamp` was lit.

> The keeper said:
> nothing.

- one
- two
"""


def _names(lines: list[str]) -> dict[int, set[str]]:
    return {row: {name for *_, name in spans} for row, spans in _Grammar().spans(lines).items()}


def test_headings_emphasis_lists_quotes() -> None:
    names = _names(DRAFT.splitlines())
    assert {"heading", "heading.marker"} <= names[0]
    assert {"italic", "bold", "text.literal"} <= names[2]
    assert {"quote", "punctuation.special"} <= names[4] and "quote" in names[5]
    assert "list.marker" in names[7]


def test_columns_are_characters_in_chinese_lines() -> None:
    spans = _Grammar().spans(["海很*慢*。"])[0]
    assert (2, 5, "italic") in spans


async def test_md_files_are_highlighted_under_the_generated_style(tmp_path: Path) -> None:
    path = tmp_path / "draft.md"
    path.write_text(DRAFT, encoding="utf-8")
    app = make_app(path, None)
    async with app.run_test(size=(80, 24)) as pilot:
        editor = app.editor
        styler: MarkdownStyler = editor.markdown
        assert styler.enabled
        await wait_until(pilot, lambda: styler._grammar is not None)
        editor.restore_marks([(2, 9)])  # "Chapter" was written by the model
        line = editor.get_line(0)
        styles = [span.style for span in line.spans]
        heading = next(s for s in styles if isinstance(s, Style) and s.bold)
        assert styles.index(GENERATED_STYLE) > styles.index(heading)  # generated on top
        assert line.get_style_at_offset(app.console, 3).color == GENERATED_STYLE.color
        assert line.get_style_at_offset(app.console, 3).bold  # and still a heading


async def test_other_files_are_plain(tmp_path: Path) -> None:
    path = tmp_path / "draft.txt"
    path.write_text(DRAFT, encoding="utf-8")
    app = make_app(path, None)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert not app.editor.markdown.enabled
        assert not app.editor.get_line(0).spans


async def test_saved_as_md_it_is_highlighted_from_then_on(tmp_path: Path) -> None:
    app = make_app(None, None)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"hello")
        assert not app.editor.markdown.enabled
        assert app.session.write(tmp_path / "draft.md")
        assert app.editor.markdown.enabled
