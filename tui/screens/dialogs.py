"""Small modal dialogs: ask a question with buttons, or ask for a file path."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

DESTRUCTIVE = {"clear", "delete", "discard", "overwrite", "replace"}
"""Answers that lose something: never the one Enter picks when the dialog opens."""


class Choice(ModalScreen[str | None]):
    """A question with a few answers; dismisses with the chosen answer's id (Esc: None).

    Enter picks ``default`` (the first answer unless that one loses something: then Cancel)."""

    BINDINGS = [Binding("escape", "dismiss_none", "Cancel", id="dialog.cancel")]

    def __init__(
        self,
        question: str,
        answers: list[tuple[str, str]],
        default: str | None = None,
        **kw: object,
    ) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.question = question
        self.answers = answers
        ids = [answer_id for answer_id, _ in answers]
        if default is None:
            default = ids[0]
            if default in DESTRUCTIVE and "cancel" in ids:
                default = "cancel"
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question, classes="dialog-question", markup=False)
            with Horizontal(classes="dialog-buttons"):
                for answer_id, label in self.answers:
                    primary = answer_id == self.default
                    yield Button(label, id=answer_id, variant="primary" if primary else "default")

    def on_mount(self) -> None:
        self.query_one(f"#{self.default}", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class AskPath(ModalScreen[Path | None]):
    """Ask for a file path (open or save as); Enter accepts, Esc cancels."""

    BINDINGS = [Binding("escape", "dismiss_none", "Cancel", id="dialog.cancel")]

    def __init__(self, title: str, initial: str = "", **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.title_text = title
        self.initial = initial

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-question", markup=False)
            yield Input(self.initial, placeholder="path/to/file.md", id="path")
            yield Label("Enter to accept · Esc to cancel", classes="dialog-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value.strip()
        self.dismiss(Path(value).expanduser() if value else None)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
