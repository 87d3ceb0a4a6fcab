"""Markdown highlighting for ``.md`` drafts: headings, emphasis, lists, quotes, code.

Textual's own highlighting (``TextArea(language="markdown")``) parses and queries the whole
document at every key: in a 1 MB draft ≈ 0.4-0.8 s a keystroke (docs/performance.md). Here
the same tree-sitter grammars (``textual[syntax]``: tree-sitter-markdown, block and inline)
parse only the lines on screen, from the blank line above them, when the editor draws; the
styles come from the editor's TextArea theme. The editor applies them first, so generated-text
styling and find matches stay on top. A fenced code block that starts above the window is
read as prose (a window starts at a paragraph's edge).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.style import Style

from tui.textual_private import forget_rendered_lines

if TYPE_CHECKING:
    from rich.text import Text
    from textual.geometry import Size
    from textual.widgets import TextArea

SUFFIXES = {".md", ".markdown", ".mdown", ".mkd"}
CONTEXT = 120
"""At most this many lines above (and below) the screen are read to find a paragraph's edge."""
BLOCK_QUERY = """
(atx_heading (inline) @heading)
(setext_heading (paragraph) @heading)
[(atx_h1_marker) (atx_h2_marker) (atx_h3_marker) (atx_h4_marker) (atx_h5_marker)
 (atx_h6_marker) (setext_h1_underline) (setext_h2_underline)] @heading.marker
[(list_marker_plus) (list_marker_minus) (list_marker_star) (list_marker_dot)
 (list_marker_parenthesis) (thematic_break)] @list.marker
(block_quote) @quote
(block_quote_marker) @punctuation.special
[(fenced_code_block) (indented_code_block)] @text.literal
(inline) @inline
"""
INLINE_QUERY = """
(emphasis) @italic
(strong_emphasis) @bold
(strikethrough) @strikethrough
(code_span) @text.literal
(link_text) @link.label
(link_destination) @link.uri
"""
OWN_STYLES = {
    "quote": Style(color="#8b949e", italic=True),
    "strikethrough": Style(strike=True),
}
INLINE_CACHE = 2000
"""Blocks whose inline highlights are kept (a screenful is a few dozen)."""
Span = tuple[int, int, str]
"""(start column, end column, highlight name) on one line."""


def is_markdown(path: Path | None) -> bool:
    return path is not None and path.suffix.lower() in SUFFIXES


class _Grammar:
    """Tree-sitter's Markdown parsers and queries, made once (≈ 0.1 s of imports)."""

    def __init__(self) -> None:
        import tree_sitter_markdown as tsm
        from tree_sitter import Language, Parser, Query, QueryCursor

        block, inline = Language(tsm.language()), Language(tsm.inline_language())
        self.block, self.inline = Parser(block), Parser(inline)
        self.block_query, self.inline_query = Query(block, BLOCK_QUERY), Query(inline, INLINE_QUERY)
        self.cursor = QueryCursor
        self._inline_cache: dict[bytes, list[tuple[str, tuple[int, int], tuple[int, int]]]] = {}

    def spans(self, lines: list[str]) -> dict[int, list[Span]]:
        """The highlights of ``lines`` (a window of the draft), by line within it."""
        source = ("\n".join(lines) + "\n").encode("utf-8")
        tree = self.block.parse(source)
        out: dict[int, list[Span]] = {}
        captures = self.cursor(self.block_query).captures(tree.root_node)
        for name, nodes in captures.items():
            for node in nodes:
                if name != "inline":
                    _add(out, lines, name, node.start_point, node.end_point, (0, 0))
                    continue
                origin = node.start_point
                for inline_name, start, end in self._inline(
                    source[node.start_byte : node.end_byte]
                ):
                    _add(out, lines, inline_name, start, end, origin)
        return out

    def _inline(self, source: bytes) -> list[tuple[str, tuple[int, int], tuple[int, int]]]:
        """Emphasis, code and links in one block's text (kept: a key changes one block)."""
        found = self._inline_cache.get(source)
        if found is None:
            if len(self._inline_cache) > INLINE_CACHE:
                self._inline_cache.clear()
            tree = self.inline.parse(source)
            captures = self.cursor(self.inline_query).captures(tree.root_node)
            found = [
                (name, node.start_point, node.end_point)
                for name, nodes in captures.items()
                for node in nodes
            ]
            self._inline_cache[source] = found
        return found


def _add(
    out: dict[int, list[Span]],
    lines: list[str],
    name: str,
    start: tuple[int, int],
    end: tuple[int, int],
    origin: tuple[int, int],
) -> None:
    """Add a node's span (tree-sitter rows and byte columns, relative to ``origin``)."""

    def absolute(point: tuple[int, int]) -> tuple[int, int]:
        row, column = point
        return (origin[0] + row, column + origin[1] if row == 0 else column)

    (start_row, start_byte), (end_row, end_byte) = absolute(start), absolute(end)
    for row in range(start_row, min(end_row, len(lines) - 1) + 1):
        line = lines[row]
        first = _column(line, start_byte) if row == start_row else 0
        last = _column(line, end_byte) if row == end_row else len(line)
        if last > first:
            out.setdefault(row, []).append((first, last, name))


def _column(line: str, byte: int) -> int:
    """The character column of a UTF-8 byte offset into ``line``."""
    if line.isascii():
        return min(byte, len(line))
    return len(line.encode("utf-8")[:byte].decode("utf-8", "ignore"))


class MarkdownStyler:
    """Styles the editor's lines as Markdown, a window of lines around the screen at a time."""

    def __init__(self) -> None:
        self.enabled = False
        self._grammar: _Grammar | None = None
        self._loading = False
        self._first = 0
        self._window: list[str] = []
        self._spans: dict[int, list[Span]] = {}

    def use(self, area: TextArea, path: Path | None) -> None:
        """Highlight as Markdown when ``path`` is a Markdown file."""
        self.enabled = is_markdown(path)
        self._window, self._spans = [], {}
        forget_rendered_lines(area)

    def style(self, area: TextArea, line: Text, index: int) -> None:
        """Style line ``index`` of ``area`` (under the styles applied after this)."""
        if not self.enabled:
            return
        grammar = self._grammar
        if grammar is None:  # the first frame goes out plain; the grammar loads after it
            if not self._loading:
                self._loading = True
                area.call_after_refresh(self._load, area)
            return
        lines = area.document.lines
        first, window = self._first, self._window
        inside = first <= index < first + len(window)
        if not inside or lines[first : first + len(window)] != window:
            self._read(grammar, lines, index, area.size)
        styles = _styles(area)
        for start, end, name in self._spans.get(index - self._first, ()):
            style = styles.get(name) or OWN_STYLES.get(name)
            if style is not None:
                line.stylize(style, start, end)

    def _load(self, area: TextArea) -> None:
        try:
            self._grammar = _Grammar()
        except (ImportError, OSError, ValueError) as exc:  # (no grammar: plain text)
            self.enabled = False
            area.notify(f"No Markdown highlighting: {exc}", severity="warning")
            return
        forget_rendered_lines(area)
        area.refresh()

    def _read(self, grammar: _Grammar, lines: list[str], index: int, size: Size) -> None:
        """Parse the window around line ``index``: from the blank line above it to the blank
        line below a screenful (of wrapped rows) after it."""
        first = index
        while first > 0 and index - first < CONTEXT and lines[first - 1].strip():
            first -= 1
        width, rows, last = max(size.width - 2, 1), 0, index
        while last < len(lines) and rows <= size.height:
            rows += len(lines[last]) // width + 1
            last += 1
        stop = min(len(lines), last + CONTEXT)
        while last < stop and lines[last - 1].strip():
            last += 1
        self._first, self._window = first, lines[first:last]
        self._spans = grammar.spans(self._window)


def _styles(area: TextArea) -> dict[str, Any]:
    from textual.widgets.text_area import TextAreaTheme

    theme = TextAreaTheme.get_builtin_theme(area.theme) or TextAreaTheme.get_builtin_theme("css")
    return theme.syntax_styles if theme else {}
