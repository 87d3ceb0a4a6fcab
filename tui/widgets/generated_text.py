"""A TextArea that takes streamed model text: generated text is marked (styled) until the user
edits it, and one whole generated insertion is one undo step however many chunks it arrived in
(and whatever was typed while it streamed)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widgets import TextArea
from textual.widgets.text_area import Edit, EditResult, Location

from models.text import printable
from tui.keys import run_binding_first
from tui.textual_private import (
    OncePerPassLine,
    forget_rendered_lines,
    keep_cursor_in_text,
    undo_batches,
)
from tui.widgets.insight import Insight, Span, spans_from

if TYPE_CHECKING:
    from rich.containers import Lines
    from textual.geometry import Region
    from textual.strip import Strip

    from models.stats import StreamStats
    from tui.messages import GenerationChunk, GenerationFinished

GENERATED_STYLE = Style(color="cyan", italic=True)


class Mark:
    """A range of generated text, [start, end) in (row, column) locations.

    (As a dataclass would be, with its fields compared by ``==``: a plain class costs nothing
    to define, where a dataclass's generated methods are compiled as the app starts.)
    """

    __slots__ = ("end", "start")
    __hash__ = None  # type: ignore[assignment]  # (mutable, compared by value)

    def __init__(self, start: Location, end: Location) -> None:
        self.start = start
        self.end = end

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mark) and other.__class__ is self.__class__:
            return (self.start, self.end) == (other.start, other.end)
        return NotImplemented

    def __repr__(self) -> str:
        return f"Mark(start={self.start!r}, end={self.end!r})"


def _shift(loc: Location, old_end: Location, new_end: Location) -> Location:
    """Where ``loc`` (at or after ``old_end``) moves when [.., old_end) becomes [.., new_end)."""
    row, col = loc
    if row == old_end[0]:
        return (new_end[0], new_end[1] + col - old_end[1])
    return (row + new_end[0] - old_end[0], col)


class GeneratedTextArea(TextArea):
    """Marks, undo steps and the stream of one generation at a time (``request_id``)."""

    BINDINGS = [  # TextArea's own keys, with ids: the keymap moves them (F1 lists them)
        Binding(
            "ctrl+z",
            "undo",
            "Undo (a whole continuation is one step)",
            id="editor.undo",
            show=False,
        ),
        Binding("ctrl+y", "redo", "Redo", id="editor.redo", show=False),
    ]

    class Journal(Message):
        """The text changed (typed or generated): time to update the recovery journal."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(
            "",
            soft_wrap=True,
            show_line_numbers=False,
            tab_behavior="focus",
            **kwargs,  # type: ignore[arg-type]
        )
        self.marks: list[Mark] = []
        self.request_id: int | None = None
        self._gen_mark: Mark | None = None
        self._gen_edits: set[int] = set()
        self._generating_edit = False
        self._halted = False
        self._last_stats: StreamStats | None = None
        self.insight = Insight()
        """Token figures shown as colour (F9), from generation and from scoring."""
        self._divided: dict[int, Lines] | None = None

    async def _on_key(self, event: events.Key) -> None:
        await run_binding_first(self, event)  # (keys in order; Alt+S types no "s")

    @property
    def last_stats(self) -> StreamStats:
        """Facts about the last continuation (tokens, speed, why it stopped)."""
        if self._last_stats is None:
            from models.stats import StreamStats

            self._last_stats = StreamStats()
        return self._last_stats

    def pace(self, seconds: float) -> None:
        """Told how long drawing one streamed chunk took (the editor adapts the flush rate)."""

    def text_edited(self) -> None:
        """The writer changed the text (token figures no longer line up with it)."""

    def cancel_generation(self) -> None:
        """Ask the engine to stop the running generation (the editor knows the engine)."""

    def halt(self) -> None:
        """Stop taking the stream: the rest still on its way is dropped, and the engine stops."""
        self._halted = True
        self.cancel_generation()

    def generated(self, request_id: int, text: str) -> None:
        """Generation ``request_id`` ended having written ``text`` (the branch tree keeps it)."""

    # Marks -----------------------------------------------------------------------------------
    def render_lines(self, crop: Region) -> list[Strip]:
        self._divided = {}  # each wrapped line divided once in this pass (OncePerPassLine)
        try:
            return super().render_lines(crop)
        finally:
            self._divided = None

    def get_line(self, line_index: int) -> Text:
        if self._divided is None:  # (not drawing: someone else asks)
            line = super().get_line(line_index)
        else:
            line = OncePerPassLine(self.document.get_line(line_index), self._divided, line_index)
            if line.divided:
                return line
        for mark in self.marks:
            (sr, sc), (er, ec) = mark.start, mark.end
            if sr <= line_index <= er:
                start = sc if line_index == sr else 0
                end = ec if line_index == er else len(line)
                if end > start:
                    line.stylize(GENERATED_STYLE, start, end)
        self.insight.style(line, line_index)
        return line

    def edit(self, edit: Edit) -> EditResult:
        if self._generating_edit:
            return super().edit(edit)
        top, bottom = sorted((edit.from_location, edit.to_location))
        mark = self._gen_mark
        if self.generating and not self._halted and mark and top <= mark.end <= bottom:
            self.halt()  # the writer takes over where the model was writing
            self.history.checkpoint()  # their words are their own undo step
        result = super().edit(edit)
        if self.insight.spans:
            self.insight.clear()
            self.text_edited()
        if self.generating and not self._halted:  # typed elsewhere while text streams: part
            self._gen_edits.add(id(edit))  # of the continuation's undo step
        self._adjust_marks(top, bottom, result.end_location)
        return result

    def _adjust_marks(self, top: Location, bottom: Location, new_end: Location) -> None:
        """Move marks after a user edit of [top, bottom) that now ends at ``new_end``."""
        kept: list[Mark] = []
        for mark in self.marks:
            streaming = mark is self._gen_mark and not self._halted
            if mark.end < top or (mark.end == top and not streaming):
                pass  # entirely before the edit
            elif mark.start >= bottom:
                mark.start = _shift(mark.start, bottom, new_end)
                mark.end = _shift(mark.end, bottom, new_end)
            elif streaming:  # the user typed into text still arriving: keep streaming after it
                mark.end = _shift(mark.end, bottom, new_end) if mark.end >= bottom else new_end
                mark.start = min(mark.start, new_end)
            else:
                continue  # the user edited generated text: it is theirs now, unmarked
            kept.append(mark)
        self.marks = kept
        forget_rendered_lines(self)

    def clear_marks(self) -> None:
        """Forget what was generated where (a new document, an undo, a redo)."""
        if self.insight.spans:
            self.insight.clear()
            self.text_edited()
        self.marks = []
        self._gen_mark = None
        forget_rendered_lines(self)
        self.refresh()

    def _refresh_size(self) -> None:
        keep_cursor_in_text(self)  # (an undo that takes the scrollbar away: see there)
        super()._refresh_size()

    def undo(self) -> None:
        if self.generating and not self._halted:
            self.halt()  # undoing text that is still coming: stop it too
        super().undo()
        self.clear_marks()

    def redo(self) -> None:
        super().redo()
        self.clear_marks()

    def location_at(self, index: int, text: str | None = None) -> Location:
        """The (row, column) of character offset ``index`` in ``text`` (the area's own)."""
        newline = self.document.newline
        before = (self.text if text is None else text)[:index]
        row = before.count(newline)
        return row, index - (before.rfind(newline) + len(newline) if row else 0)

    def generated_ranges(self) -> list[tuple[int, int]]:
        """The marks as (start, end) character offsets into ``text`` (to store and export)."""

        def index(location: Location) -> int:
            return len(self.document.get_text_range((0, 0), location))

        return sorted((index(m.start), index(m.end)) for m in self.marks if m.start != m.end)

    def restore_marks(self, ranges: list[tuple[int, int]]) -> None:
        """Mark these character ranges as generated (a document opened again)."""
        text = self.text  # (read once, not twice per range)
        self.marks = [Mark(self.location_at(a, text), self.location_at(b, text)) for a, b in ranges]
        forget_rendered_lines(self)
        self.refresh()

    def swap_token(self, span: Span, text: str) -> set[int]:
        """Put ``text`` in the place of ``span`` and cut the rest of the generation it is in;
        returns the ids of the edits (for :meth:`begin_generation`'s ``joined``)."""
        mark = next((m for m in self.marks if m.start <= span.start and span.end <= m.end), None)
        cut_to = mark.end if mark is not None else span.end
        if mark is not None:
            mark.end = span.start
            if mark.start == mark.end:
                self.marks.remove(mark)
        self.history.checkpoint()
        self._generating_edit = True
        try:
            result = self.replace(printable(text), span.start, cut_to)
        finally:
            self._generating_edit = False
        self.marks.append(Mark(span.start, result.end_location))
        self.insight.clear()
        self.selection = self.selection.cursor(result.end_location)
        stack = undo_batches(self)
        return {id(edit) for edit in stack[-1]} if stack else set()

    def insert_generated(self, text: str) -> None:
        """Insert model text at the cursor as one undo step, marked as generated."""
        self.history.checkpoint()
        start = self.selection.start
        self._generating_edit = True
        try:
            result = self.replace(printable(text), self.selection.start, self.selection.end)
        finally:
            self._generating_edit = False
        self.marks.append(Mark(start, result.end_location))
        self.history.checkpoint()
        self.post_message(self.Journal())

    # Generation ------------------------------------------------------------------------------
    @property
    def generating(self) -> bool:
        return self.request_id is not None

    def begin_generation(self, request_id: int, joined: set[int] | None = None) -> None:
        """Start a generated insertion at the cursor; ``joined``: ids of edits made just before
        that belong to the same undo step (a swapped word)."""
        self.request_id = request_id
        cursor = self.selection.end
        if self.selection.start != self.selection.end:
            self.selection = self.selection.cursor(cursor)
        self._gen_mark = Mark(cursor, cursor)
        self.marks.append(self._gen_mark)
        self._gen_edits = set(joined or ())
        if not joined:
            self.history.checkpoint()
        self.cursor_blink = False  # the cursor moves with the text; a blink is one more redraw

    def prompt_text(self) -> str:
        """The text the model continues: everything before the cursor."""
        return self.document.get_text_range((0, 0), self.selection.end)

    def on_generation_chunk(self, message: GenerationChunk) -> None:
        if message.request_id != self.request_id or self._gen_mark is None or self._halted:
            return
        started = time.perf_counter()
        text = printable(message.text)
        if not text:
            return
        mark = self._gen_mark
        if self.insight.enabled and "".join(t.text for t in message.token_info) == text:
            self.insight.add(spans_from(mark.end, message.token_info))
        follow = self.selection.end == mark.end and self.selection.start == self.selection.end
        self._generating_edit = True
        try:
            result = self.insert(text, mark.end, maintain_selection_offset=not follow)
        finally:
            self._generating_edit = False
        stack = undo_batches(self)
        if stack:
            self._gen_edits.add(id(stack[-1][-1]))
            # Each chunk is its own batch to Textual, which keeps 50: join it to the chunks
            # before it as it comes, so a long continuation never pushes older steps out.
            if len(stack) >= 2 and all(
                id(e) in self._gen_edits for batch in (stack[-1], stack[-2]) for e in batch
            ):
                last = stack.pop()
                stack[-1].extend(last)
        old_end = mark.end
        mark.end = result.end_location
        for other in self.marks:  # marks after the insertion point move along
            if other is not mark and other.start >= old_end:
                other.start = _shift(other.start, old_end, mark.end)
                other.end = _shift(other.end, old_end, mark.end)
        if follow:
            self.selection = self.selection.cursor(mark.end)
            self.scroll_cursor_visible()
        self.post_message(self.Journal())
        self.call_after_refresh(self._measured, started)

    def _measured(self, started: float) -> None:
        self.pace(time.perf_counter() - started)

    def on_generation_finished(self, message: GenerationFinished) -> None:
        if message.request_id != self.request_id:
            return
        self.request_id = None
        self._last_stats = message.stats
        if message.error:
            self.notify(message.error, title="Generation failed", severity="error")
        self.cursor_blink = True
        self._merge_generated_batches()
        mark, self._halted = self._gen_mark, False
        if mark is not None and any(m is mark for m in self.marks):
            self.generated(message.request_id, self.document.get_text_range(mark.start, mark.end))
            if mark.start == mark.end:
                self.marks.remove(mark)
        self._gen_mark = None
        self.history.checkpoint()
        self.post_message(self.Journal())

    def _merge_generated_batches(self) -> None:
        """Make one generation (its chunks, and keys typed while it streamed) one undo step."""
        stack = undo_batches(self)
        ids = self._gen_edits
        run: list[list[Edit]] = []
        while stack and stack[-1] and all(id(e) in ids for e in stack[-1]):
            run.insert(0, stack.pop())
        if run:
            stack.append([edit for batch in run for edit in batch])
        self._gen_edits = set()
