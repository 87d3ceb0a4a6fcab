"""Every place quillpen reaches into Textual's private API, all here (Textual 8.2.8).

Textual offers no public way to do these. ``pyproject.toml`` pins Textual's version, and
tests/tui/test_textual_private.py fails when the installed one is not :data:`TEXTUAL_VERSION`:
an upgrade is a conscious step. Check each function below against the new release (the undo
tests in tests/tui/test_app.py and the keymap tests in tests/tui/test_config_checks.py fail if
one breaks), then change :data:`TEXTUAL_VERSION`.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable
from typing import Any

from rich.containers import Lines
from rich.text import Text
from textual._xterm_parser import XTermParser
from textual.app import App
from textual.document._document import Document, EditResult
from textual.document._wrapped_document import WrappedDocument
from textual.events import Resize
from textual.keys import _character_to_key
from textual.widgets import TextArea
from textual.widgets.text_area import Edit, Location, Selection

from tui import alt_keys

TEXTUAL_VERSION = "8.2.8"
"""The Textual release every reach below was checked against."""


class CursorKeptInText(TextArea):
    """A ``TextArea`` whose undo and redo never place the cursor past the text
    (:func:`keep_cursor_in_text`, run first thing in Textual's private ``_refresh_size``)."""

    def _refresh_size(self) -> None:
        keep_cursor_in_text(self)
        super()._refresh_size()


def undo_batches(area: TextArea) -> deque[list[Edit]]:
    """The undo stack of ``area``: one list of edits per undo step (``EditHistory``)."""
    return area.history._undo_stack


def keep_cursor_in_text(area: TextArea) -> None:
    """Move the cursor back into the text if it is past its end (no events: a moment's fix).

    Textual 8.2.8's undo and redo resize the area (``_refresh_size``) before they move the
    cursor back: when a step took the vertical scrollbar away, the cursor was placed while still
    past the end of the shorter text, which raised a ValueError and ended the app (a long
    continuation or paste that scrolled, then Ctrl+Z). Call it first thing in
    ``_refresh_size``; the step then puts the cursor where it belongs."""
    start, end = area.selection
    inside = Selection(area.clamp_visitable(start), area.clamp_visitable(end))
    if inside != area.selection:
        area.set_reactive(TextArea.selection, inside)


def read_alt_keys_whole() -> None:
    """Make Textual's terminal parser read ESC + letter as one Alt key (:mod:`tui.alt_keys`).

    Wraps ``XTermParser.feed`` (each read from the terminal); safe to call twice."""
    if getattr(XTermParser.feed, "alt_keys_whole", False):
        return
    feed = XTermParser.feed

    def feed_whole(parser: XTermParser, data: str) -> Iterable[object]:
        pasting = getattr(parser, "_quillpen_pasting", False)
        data, parser._quillpen_pasting = alt_keys.spell_out(data, pasting)  # type: ignore[attr-defined]
        return feed(parser, data)

    feed_whole.alt_keys_whole = True  # type: ignore[attr-defined]
    XTermParser.feed = feed_whole  # type: ignore[assignment,method-assign]


async def run_ordinary_binding(app: App[object], key: str) -> bool:
    """Run the non-priority binding of ``key``, from the focused widget up; whether one ran.

    What ``App._on_key`` does once a key has bubbled up to it (``App._check_bindings``)."""
    return await app._check_bindings(key)


def forget_rendered_lines(area: TextArea) -> None:
    """Make ``area`` style its lines again on the next refresh (its line cache)."""
    area._line_cache.clear()


def key_name(character: str) -> str:
    """The key name Textual gives a printable character (``"."`` → ``"full_stop"``)."""
    return _character_to_key(character)


def open_loop(app: App[Any]) -> asyncio.AbstractEventLoop | None:
    """The event loop ``app`` runs on (``App._loop``), or None when it has none open (not
    started yet, or closed): a signal handler or another thread hands work to it."""
    loop: asyncio.AbstractEventLoop | None = getattr(app, "_loop", None)
    return loop if loop is not None and not loop.is_closed() else None


def leave_threads_behind(app: App[Any]) -> None:
    """Let ``app`` close without waiting for its thread workers.

    asyncio waits for its default executor's threads as the app closes, and a thread worker
    blocked on the network (a download) would hold the exit up: the loop gets a fresh, idle
    one; :func:`tui.hangup.leave_now_if_threads_linger` then ends the process and what the
    download left."""
    from concurrent.futures import ThreadPoolExecutor

    if (loop := open_loop(app)) is not None:
        loop.set_default_executor(ThreadPoolExecutor())


def line_at_row(area: TextArea, y: int) -> tuple[int, int] | None:
    """(line index, wrapped section) shown on row ``y`` of ``area`` (None: below the text)."""
    try:
        return area.wrapped_document._offset_to_line_info[y + area.scroll_offset.y]
    except IndexError:
        return None


def rewrap(area: TextArea) -> None:
    """Wrap ``area``'s text again and redraw it (its gutter's width changed)."""
    area._rewrap_and_refresh_virtual_size()
    forget_rendered_lines(area)
    area.refresh()


class ResizedWithoutRewrap(TextArea):
    """A ``TextArea`` that wraps its lines again only when the wrap width changed.

    ``TextArea._on_resize`` wraps every line again at any resize, a height change too: in a
    1 MB draft ≈ 0.3 s (2-3 s on a loaded 2-core machine) each time the find bar opens, shows
    its replace row or closes (bench/long_draft.py). Rows already wrapped at this width stay
    right: edits keep them up to date (``wrap_range``); only the size and line cache are
    refreshed."""

    def _on_resize(self, event: Resize) -> None:  # type: ignore[override]
        if self.wrapped_document._width == self.wrap_width:
            self._line_cache.clear()
            self._refresh_size()
            event.prevent_default()  # (TextArea's own handler would wrap every line again)


def cache_document_text() -> None:
    """Make ``Document.text`` join the lines once per change, not at every read.

    ``TextArea.render_line`` reads ``self.text`` for every row it draws, only to know whether
    to show a placeholder: the whole document joined again, ≈ 0.6 ms a row at 1 MB (≈ 11 ms of
    each key in a 1 MB draft, more on a loaded machine). The joined text is kept until the next
    ``replace_range``, the one method that changes a document's lines (every edit, undo and
    redo goes through it). Applies to every document; safe to call twice."""
    if getattr(Document.replace_range, "_keeps_text", False):
        return
    replace = Document.replace_range

    def replace_range(self: Document, start: Location, end: Location, text: str) -> EditResult:
        self._joined = None  # type: ignore[attr-defined]
        return replace(self, start, end, text)

    replace_range._keeps_text = True  # type: ignore[attr-defined]
    Document.replace_range = replace_range  # type: ignore[method-assign]
    Document.text = property(_joined_text)  # type: ignore[assignment,method-assign]


def _joined_text(document: Document) -> str:
    """The document's text, joined when first read after a change."""
    text: str | None = getattr(document, "_joined", None)
    if text is None:
        text = document._joined = join_lines(document)  # type: ignore[attr-defined]
    return text


def join_lines(document: Document) -> str:
    """The lines of ``document`` as one text (``Document.text``'s own way)."""
    return document._newline.join(document._lines)


def count_wrapped_rows_once() -> None:
    """Make ``WrappedDocument.height`` the length of its row table, not a sum over every line.

    ``TextArea`` reads the height for each row it draws, and Textual summed the rows of every
    document line each time: typing into a 20,000-line draft cost ≈ 250 ms a key. The table of
    rows (``_offset_to_line_info``, one entry per row, which ``wrap`` and ``wrap_range`` keep
    up to date) has that length already. Applies to every text area; safe to call twice."""
    WrappedDocument.height = property(_rows)  # type: ignore[method-assign,assignment]


def _rows(document: WrappedDocument) -> int:
    """The height of the wrapped document (rows)."""
    return len(document._offset_to_line_info)


class OncePerPassLine(Text):
    """A document line for ``TextArea.get_line``, divided into its wrapped rows once per pass.

    ``TextArea._render_line`` styles the whole document line, then divides it into its wrapped
    rows, for each row it draws (its own TODO says so): a paragraph wrapped onto 20 rows was
    styled and divided 20 times a frame, and typing into a long paragraph cost 15-25 ms a key.
    In one render pass a line is styled alike for each of its rows, so the first row's division
    (kept in ``memo``, which the caller empties before each pass) serves the others; for them
    the line is left hollow (not sanitized or styled: only its length is read before
    ``divide``). Relies on rich's ``Text`` internals (``_text``, ``_length``)."""

    __slots__ = ("_index", "_memo")

    def __init__(self, text: str, memo: dict[int, Lines], index: int) -> None:
        if index in memo:
            super().__init__("", end="", no_wrap=True)
            self._text, self._length = [text], len(text)
        else:
            super().__init__(text, end="", no_wrap=True)
        self._memo, self._index = memo, index

    @property
    def divided(self) -> bool:
        """True when this pass divided the line already (its styles would be dropped)."""
        return self._index in self._memo

    def pad_right(self, count: int, character: str = " ") -> None:
        """As ``Text.pad_right``, without sanitizing the whole line again (for the cursor's
        cell at the end of each line)."""
        if count:
            self._text, self._length = [self.plain + character * count], self._length + count

    def divide(self, offsets: Iterable[int]) -> Lines:
        sections = self._memo.get(self._index)
        if sections is None:
            sections = self._memo[self._index] = super().divide(offsets)
        return sections


def patch_textual() -> None:
    """Every process-wide patch above, once the App is made: wrapped rows counted once
    (:func:`count_wrapped_rows_once`), Alt+letter read as one key (:func:`read_alt_keys_whole`)."""
    count_wrapped_rows_once()
    read_alt_keys_whole()
