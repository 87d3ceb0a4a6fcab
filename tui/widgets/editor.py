"""The document editor: a TextArea that streams model text in at the cursor.

Generated text is marked (styled) until the user edits it, and one whole generated insertion
is one undo step however many chunks it arrived in.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.document._document import EditResult, Location
from textual.document._edit import Edit
from textual.message import Message
from textual.widgets import TextArea

from models.text import printable
from tui.messages import GenerationChunk, GenerationFinished, GenerationStarted

GENERATED_STYLE = Style(color="cyan", italic=True)


@dataclass
class Mark:
    """A range of generated text, [start, end) in (row, column) locations."""

    start: Location
    end: Location


def _shift(loc: Location, old_end: Location, new_end: Location) -> Location:
    """Where ``loc`` (at or after ``old_end``) moves when [.., old_end) becomes [.., new_end)."""
    row, col = loc
    if row == old_end[0]:
        return (new_end[0], new_end[1] + col - old_end[1])
    return (row + new_end[0] - old_end[0], col)


class WriterEditor(TextArea):
    """The editor pane. The app drives generation; this widget shows it."""

    BINDINGS = [
        Binding("tab", "app.continue_text", "Continue", id="editor.continue", priority=True),
        Binding("escape", "app.stop", "Stop", id="editor.stop", show=False),
        Binding("f6", "app.alternatives", "Alternatives", id="editor.alternatives", show=False),
        Binding("ctrl+home", "document_start", "Start of document", id="editor.start", show=False),
        Binding("ctrl+end", "document_end", "End of document", id="editor.end", show=False),
        Binding("ctrl+shift+home", "document_start(True)", "Select to start", show=False),
        Binding("ctrl+shift+end", "document_end(True)", "Select to end", show=False),
    ]

    class Journal(Message):
        """The text changed (typed or generated): time to update the recovery journal."""

    class RedrawCost(Message):
        """Seconds one streamed chunk took: inserting it and the screen update after it."""

        def __init__(self, seconds: float) -> None:
            super().__init__()
            self.seconds = seconds

    def __init__(self, text: str = "", **kwargs: object) -> None:
        super().__init__(
            text,
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
        self.last_prompt_tokens = 0
        self.hidden_chars = 0

    def action_document_start(self, select: bool = False) -> None:
        self.move_cursor((0, 0), select=select)

    def action_document_end(self, select: bool = False) -> None:
        self.move_cursor(self.document.end, select=select)

    # Marks -----------------------------------------------------------------------------------
    def get_line(self, line_index: int) -> Text:
        line = super().get_line(line_index)
        for mark in self.marks:
            (sr, sc), (er, ec) = mark.start, mark.end
            if sr <= line_index <= er:
                start = sc if line_index == sr else 0
                end = ec if line_index == er else len(line)
                if end > start:
                    line.stylize(GENERATED_STYLE, start, end)
        return line

    def edit(self, edit: Edit) -> EditResult:
        if self._generating_edit:
            return super().edit(edit)
        top, bottom = sorted((edit.from_location, edit.to_location))
        result = super().edit(edit)
        if self.generating:  # typed while text streams: part of the continuation's undo step
            self._gen_edits.add(id(edit))
        self._adjust_marks(top, bottom, result.end_location)
        return result

    def _adjust_marks(self, top: Location, bottom: Location, new_end: Location) -> None:
        """Move marks after a user edit of [top, bottom) that now ends at ``new_end``."""
        kept: list[Mark] = []
        for mark in self.marks:
            streaming = mark is self._gen_mark
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
        self._line_cache.clear()

    def clear_marks(self) -> None:
        self.marks = []
        self._gen_mark = None
        self._line_cache.clear()
        self.refresh()

    def undo(self) -> None:
        super().undo()
        self.clear_marks()

    def redo(self) -> None:
        super().redo()
        self.clear_marks()

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

    def begin_generation(self, request_id: int) -> None:
        """Start a generated insertion at the cursor."""
        self.request_id = request_id
        cursor = self.selection.end
        if self.selection.start != self.selection.end:
            self.selection = self.selection.cursor(cursor)
        self._gen_mark = Mark(cursor, cursor)
        self.marks.append(self._gen_mark)
        self._gen_edits.clear()
        self.history.checkpoint()
        self.cursor_blink = False  # the cursor moves with the text; a blink is one more redraw

    def prompt_text(self) -> str:
        """The text the model continues: everything before the cursor."""
        return self.document.get_text_range((0, 0), self.selection.end)

    def on_generation_started(self, message: GenerationStarted) -> None:
        self.last_prompt_tokens = message.prompt_tokens

    def on_generation_chunk(self, message: GenerationChunk) -> None:
        if message.request_id != self.request_id or self._gen_mark is None:
            return
        started = time.perf_counter()
        text = printable(message.text)
        if not text:
            return
        mark = self._gen_mark
        follow = self.selection.end == mark.end and self.selection.start == self.selection.end
        self._generating_edit = True
        try:
            result = self.insert(text, mark.end, maintain_selection_offset=not follow)
        finally:
            self._generating_edit = False
        stack = self.history._undo_stack
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
        self.post_message(self.RedrawCost(time.perf_counter() - started))

    def on_generation_finished(self, message: GenerationFinished) -> None:
        if message.request_id != self.request_id:
            return
        self.request_id = None
        self.cursor_blink = True
        self._merge_generated_batches()
        if self._gen_mark is not None and self._gen_mark.start == self._gen_mark.end:
            self.marks.remove(self._gen_mark)
        self._gen_mark = None
        self.history.checkpoint()
        self.post_message(self.Journal())

    def _merge_generated_batches(self) -> None:
        """Make one generation (its chunks, and keys typed while it streamed) one undo step."""
        stack = self.history._undo_stack
        ids = self._gen_edits
        run: list[list[Edit]] = []
        while stack and stack[-1] and all(id(e) in ids for e in stack[-1]):
            run.insert(0, stack.pop())
        if run:
            stack.append([edit for batch in run for edit in batch])
        self._gen_edits = set()
