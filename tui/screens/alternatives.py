"""F6: several short continuations side by side; pick one to insert at the cursor.

The screen asks the engine client for them itself, as one request for ``count`` continuations
(``GenerateRequest.n``: one batch sharing the prompt's cache, on the local engine), and cancels
it when it closes. At 120 columns or more they stand side by side, each in a card; narrower,
one under another. Each shows how far it is written (tokens of the request's maximum), and so
does the status bar.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from models.engine_client import EngineClient, GenerateRequest
from models.text import printable
from tui.messages import GenerationChunk, GenerationFinished, deliver

if TYPE_CHECKING:
    from tui.widgets.status import StatusBar

WAITING = "…"
SIDE_BY_SIDE = 120
"""Terminal columns from which the alternatives stand side by side."""


class Card(Static, can_focus=True):
    """One alternative, side by side with the others: Enter or a click picks it."""

    BINDINGS = [Binding("enter", "pick", "Pick", show=False)]

    def __init__(self, index: int) -> None:
        super().__init__(WAITING, id=f"card-{index}", classes="alt-card", markup=False)
        self.index = index
        self.border_title = str(index + 1)

    def action_pick(self) -> None:
        screen = self.screen
        if isinstance(screen, AlternativesScreen):
            screen.action_pick(self.index)

    def on_click(self) -> None:
        self.action_pick()


class AlternativesScreen(ModalScreen[str | None]):
    """Shows ``count`` continuations as they stream; Enter or 1–3 picks, Esc cancels."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="alternatives.cancel"),
        Binding("1", "pick(0)", "Pick 1", show=False),
        Binding("2", "pick(1)", "Pick 2", show=False),
        Binding("3", "pick(2)", "Pick 3", show=False),
    ]

    def __init__(
        self, engine: EngineClient, request: GenerateRequest, status: StatusBar | None = None
    ) -> None:
        """``status``: the status bar that shows how far they are written."""
        super().__init__()
        self.engine = engine
        self.status = status
        self.request = request
        self.texts = ["" for _ in range(request.n)]
        self.tokens = [0 for _ in range(request.n)]
        self.done: set[int] = set()
        self.failed: dict[int, str] = {}
        """Why an alternative failed (shown after what it wrote, never inserted)."""
        self.wide = False

    def on_mount(self) -> None:
        self.engine.submit(self.request, deliver(self), exclusive=False)
        self._progress()

    def on_unmount(self) -> None:
        self.engine.cancel([self.request.id])
        if (status := self.status) is not None:
            status.state = status.idle

    def compose(self) -> ComposeResult:
        self.wide = self.app.size.width >= SIDE_BY_SIDE
        with Vertical(classes="dialog", id="alternatives"):
            yield Label("", id="alt-title", classes="dialog-question")
            if self.wide:
                with Horizontal(id="alt-cards"):
                    yield from (Card(i) for i in range(len(self.texts)))
            else:
                yield OptionList(  # the model's text is never markup
                    *[Option(WAITING, id=f"alt-{i}") for i in range(len(self.texts))],
                    markup=False,
                )

    def on_generation_chunk(self, message: GenerationChunk) -> None:
        if message.request_id == self.request.id and message.seq < len(self.texts):
            self.texts[message.seq] += printable(message.text)
            self.tokens[message.seq] += message.tokens
            self._show(message.seq)
            self._progress()

    def on_generation_finished(self, message: GenerationFinished) -> None:
        if message.request_id != self.request.id:
            return
        if message.notice:
            self.notify(message.notice, title="Alternatives")
        failed = {i for i, s in enumerate(message.sequences) if s.stopped_by == "error"}
        if message.error and not message.sequences:
            failed = set(range(len(self.texts)))
        for index in range(len(self.texts)):
            self.done.add(index)
            if index in failed:  # what was written stays, and can be picked
                how = "cut short" if self.texts[index] else "failed"
                self.failed[index] = f"({how}: {message.error})"
            self._show(index)
        self._progress()

    def _written(self, index: int) -> str:
        """How far alternative ``index`` is: ``12/24`` tokens while written, else nothing."""
        if index in self.done:
            return ""
        return f"[{self.tokens[index]}/{self.request.max_tokens}] "

    def _progress(self) -> None:
        """The title and the status bar say how many are written."""
        count = len(self.texts)
        if len(self.done) == count:
            title = f"Alternatives: Enter or 1–{count} inserts one · Esc cancels"
            state = None
        else:
            done = sum(self.tokens)
            total = count * max(1, self.request.max_tokens)
            title = f"Alternatives: writing {count} at once, {done}/{total} tokens · Esc cancels"
            state = f"alternatives {100 * done // total}%"
        self.query_one("#alt-title", Label).update(title)
        if (status := self.status) is not None:
            status.state = state or status.idle

    def _show(self, index: int) -> None:
        body, note = self.texts[index].replace("\n", " ⏎ ").strip(), self.failed.get(index)
        text = f"{body} {note}" if body and note else body or note or WAITING
        if self.wide:
            card = self.query_one(f"#card-{index}", Card)
            whole = self.texts[index].strip()
            card.update(f"{whole} {note}" if whole and note else whole or note or WAITING)
            card.border_subtitle = self._written(index).strip(" []") or None
            return
        prefix = f"{index + 1}. {self._written(index)}"
        self.query_one(OptionList).replace_option_prompt_at_index(index, prefix + text)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.action_pick(event.option_index)

    def action_pick(self, index: int) -> None:
        if index < len(self.texts) and self.texts[index] and index in self.done:
            self.dismiss(self.texts[index])
        elif index in self.failed:
            self.notify("That alternative failed: nothing was written.", severity="warning")
        else:
            self.notify("That alternative is still being written.", severity="warning")

    def action_cancel(self) -> None:
        self.dismiss(None)
