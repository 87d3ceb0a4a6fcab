"""Ask for a document's word goal (words, or 字 for Chinese, a day)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label


class GoalScreen(ModalScreen[int | None]):
    """Dismisses with the goal typed (0: none), or None (Esc)."""

    BINDINGS = [Binding("escape", "dismiss_none", "Cancel", id="goal.cancel")]

    def __init__(self, current: int) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="goal"):
            yield Label(
                "Words (字 for Chinese) to write each day in this document (0: no goal):",
                classes="dialog-question",
            )
            yield Input(str(self.current or ""), type="integer", id="goal-words")
            yield Label("Enter to accept · Esc to cancel", classes="dialog-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value.strip()
        self.dismiss(max(0, min(int(value), 10_000_000)) if value.lstrip("-").isdigit() else 0)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
