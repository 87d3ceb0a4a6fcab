"""The document editor: a TextArea that asks the engine to continue it and streams text in.

Tab walks editor → engine client → engine → editor: the editor builds the request, submits it
to the engine client it was given, and receives the chunks itself. Generated text is marked
(styled) until the user edits it, and one whole generated insertion is one undo step however
many chunks it arrived in.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import TextArea
from textual.widgets.text_area import Edit, EditResult, Location

from models.context import MEMORY_MAX, NOTE_MAX
from models.engine import StreamStats
from models.engine_client import EngineClient, GenerateRequest
from models.prompts import StorySpec
from models.sampling import SamplerSettings, preset
from models.text import printable
from tui.config import Settings
from tui.keys import in_key_order
from tui.messages import GenerationChunk, GenerationFinished, GenerationStarted, deliver
from tui.screens.alternatives import AlternativesScreen
from tui.store.notes import StoryNotes
from tui.templates import Template
from tui.textual_private import forget_rendered_lines, undo_batches

GENERATED_STYLE = Style(color="cyan", italic=True)
NO_MODEL = "No model is loaded: press F5 to choose or download one."
FLUSH_MIN, FLUSH_MAX = 1 / 30, 0.4
"""Bounds of the seconds between streamed chunks."""
UI_SHARE = 0.06
"""The share of one core the editor may spend drawing streamed text; the engine's flush rate
follows the measured redraw cost. On 2 cores every UI wake-up stalls one of llama.cpp's
threads, so fewer, larger chunks keep the engine near its bare speed (docs/performance.md)."""
ALTERNATIVES = 3
ALTERNATIVE_TOKENS = 24


class Story(Protocol):
    """What a continuation needs beside the text: the notes, and a journal written first."""

    notes: StoryNotes

    def flush_journal(self) -> None: ...


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
    """The editor pane: asks ``engine`` for continuations of the story and shows them."""

    BINDINGS = [
        Binding("tab", "continue_text", "Continue", id="editor.continue", priority=True),
        Binding("escape", "stop", "Stop", id="editor.stop", show=False),
        Binding("f6", "alternatives", "Alternatives", id="editor.alternatives", show=False),
        Binding("f7", "poem", "Poem: syllables, form, rhymes", id="editor.poem", show=False),
        Binding("ctrl+home", "document_start", "Start of document", id="editor.start", show=False),
        Binding("ctrl+end", "document_end", "End of document", id="editor.end", show=False),
        Binding("ctrl+shift+home", "document_start(True)", "Select to start", show=False),
        Binding("ctrl+shift+end", "document_end(True)", "Select to end", show=False),
    ]

    class Journal(Message):
        """The text changed (typed or generated): time to update the recovery journal."""

    def __init__(
        self, engine: EngineClient, story: Story, settings: Settings, **kwargs: object
    ) -> None:
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
        self.last_prompt_tokens = 0
        self.hidden_chars = 0
        self.engine = engine
        self.story = story
        self.settings = settings
        self.last_stats = StreamStats()
        """Facts about the last continuation (tokens, speed, why it stopped)."""
        self._cuts_told: tuple[int, int] = (0, 0)
        self._redraw_cost = 0.0
        self._flush_interval = 1 / 20

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
        forget_rendered_lines(self)

    def clear_marks(self) -> None:
        self.marks = []
        self._gen_mark = None
        forget_rendered_lines(self)
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

    # Asking for text -------------------------------------------------------------------------
    def action_continue_text(self) -> None:
        """Tab: continue the document at the cursor (after the keys typed just before it)."""
        in_key_order(self, self._continue_text)

    def _continue_text(self) -> None:
        if not self.engine.ready:
            self.notify(NO_MODEL, severity="warning")
        elif self.generating:
            self.engine.cancel()
        else:
            self.continue_story()

    def continue_story(
        self,
        max_tokens: int | None = None,
        settings: SamplerSettings | None = None,
        stop: Sequence[str] = (),
    ) -> None:
        """Stream a continuation of the text before the cursor in at the cursor."""
        notes = self.story.notes
        request = GenerateRequest(
            StorySpec(self.prompt_text(), notes.memory, notes.note),
            settings=settings or self.settings.sampler,
            max_tokens=max_tokens or self.settings.continue_tokens,
            stop=stop,
        )
        self.story.flush_journal()  # on disk before the engine runs: a crash loses nothing
        self.begin_generation(request.id)
        self.engine.submit(request, deliver(self))

    def write_template(self, text: str) -> None:
        """Write a template's opening at the end of the document (one undo step)."""
        gap = ""
        if self.text.strip():
            gap = "\n" if self.text.endswith("\n") else "\n\n"
        self.history.checkpoint()
        self.insert(gap + text, self.document.end)
        self.move_cursor(self.document.end)

    def continue_template(self, template: Template) -> None:
        """Continue a template's opening with its own length, preset and stops."""
        if not self.engine.ready:
            self.notify("Template written. Load a model (F5) and press Tab to continue it.")
            return
        self.continue_story(template.max_tokens, preset(template.preset), template.stop)

    def action_alternatives(self) -> None:
        """F6: write a few short continuations and let the user pick one."""
        in_key_order(self, self._alternatives)

    def _alternatives(self) -> None:
        if not self.engine.ready:
            self.notify(NO_MODEL, severity="warning")
            return
        notes, sampler = self.story.notes, self.settings.sampler
        spec = StorySpec(self.prompt_text(), notes.memory, notes.note)
        requests = [
            GenerateRequest(spec, sampler.with_(seed=None), ALTERNATIVE_TOKENS)
            for _ in range(ALTERNATIVES)
        ]
        self.story.flush_journal()

        def chosen(choice: str | None) -> None:
            if choice:
                self.insert_generated(choice)

        self.app.push_screen(AlternativesScreen(self.engine, requests), chosen)

    def action_poem(self) -> None:
        """F7: check the poem; a rhyme picked there replaces the word at the cursor."""
        from tui.screens.poem import PoemScreen, word_at

        row, column = self.cursor_location
        start, end = word_at(self.document.get_line(row), column)
        word = self.document.get_line(row)[start:end]

        def chosen(rhyme: str | None) -> None:
            if rhyme:
                self.replace(rhyme, (row, start), (row, end))

        self.app.push_screen(PoemScreen(self.text, word), chosen)

    def action_stop(self) -> None:
        """Esc: stop whatever is being generated."""
        if self.engine.busy:
            self.engine.cancel()

    def pace(self, seconds: float) -> None:
        """Set the engine's flush rate so drawing streamed text takes ≤ UI_SHARE of a core."""
        cost = self._redraw_cost
        cost = 0.7 * cost + 0.3 * seconds if cost else seconds
        self._redraw_cost = cost
        interval = min(FLUSH_MAX, max(FLUSH_MIN, cost / UI_SHARE))
        if abs(interval - self._flush_interval) > 0.2 * self._flush_interval:
            self._flush_interval = interval
            self.engine.set_flush_interval(interval)

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
        facts = message.facts
        cuts = (facts.memory_cut, facts.note_cut)
        if any(cuts) and cuts != self._cuts_told:
            self._cuts_told = cuts
            parts = [
                f"the {what}'s last {n} token{'s' if n != 1 else ''}"
                for what, n in (("memory", facts.memory_cut), ("author's note", facts.note_cut))
                if n
            ]
            self.notify(
                f"Too long to fit: the model does not see {' or '.join(parts)} "
                f"(memory keeps {MEMORY_MAX} tokens, the note {NOTE_MAX}). Shorten them in F8.",
                title="Memory & note",
                severity="warning",
                timeout=10,
            )

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
        self.last_stats = message.stats
        if message.error:
            self.notify(message.error, title="Generation failed", severity="error")
        self.cursor_blink = True
        self._merge_generated_batches()
        if self._gen_mark is not None and self._gen_mark.start == self._gen_mark.end:
            self.marks.remove(self._gen_mark)
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
