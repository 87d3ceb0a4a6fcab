"""F6: several short continuations side by side; pick one to insert at the cursor.

The screen asks the engine client for them itself, as one request for ``count`` continuations
(``GenerateRequest.n``: one batch sharing the prompt's cache, on the local engine), and cancels
it when it closes.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from models.engine_client import EngineClient, GenerateRequest
from models.text import printable
from tui.messages import GenerationChunk, GenerationFinished, deliver

WAITING = "…"


class AlternativesScreen(ModalScreen[str | None]):
    """Shows ``count`` continuations as they stream; Enter or 1–3 picks, Esc cancels."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="alternatives.cancel"),
        Binding("1", "pick(0)", "Pick 1", show=False),
        Binding("2", "pick(1)", "Pick 2", show=False),
        Binding("3", "pick(2)", "Pick 3", show=False),
    ]

    def __init__(self, engine: EngineClient, request: GenerateRequest) -> None:
        super().__init__()
        self.engine = engine
        self.request = request
        self.texts = ["" for _ in range(request.n)]
        self.done: set[int] = set()
        self.failed: dict[int, str] = {}
        """Why an alternative failed (shown after what it wrote, never inserted)."""

    def on_mount(self) -> None:
        self.engine.submit(self.request, deliver(self), exclusive=False)

    def on_unmount(self) -> None:
        self.engine.cancel([self.request.id])

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="alternatives"):
            yield Label(
                "Alternatives: Enter or 1–3 inserts one · Esc cancels", classes="dialog-question"
            )
            yield OptionList(  # the model's text is never markup
                *[Option(WAITING, id=f"alt-{i}") for i in range(len(self.texts))], markup=False
            )

    def on_generation_chunk(self, message: GenerationChunk) -> None:
        if message.request_id == self.request.id and message.seq < len(self.texts):
            self.texts[message.seq] += printable(message.text)
            self._show(message.seq)

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

    def _show(self, index: int) -> None:
        body, note = self.texts[index].replace("\n", " ⏎ ").strip(), self.failed.get(index)
        text = f"{body} {note}" if body and note else body or note or WAITING
        prefix = f"{index + 1}. "
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
