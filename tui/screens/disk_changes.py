"""The differences between the editor's text and the file another program changed."""

from __future__ import annotations

import difflib

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

MAX_LINES = 2000
"""Diff lines shown (a whole rewritten novel is summed up, not drawn)."""


def differences(mine: str, theirs: str, name: str) -> Text:
    """A unified diff, yours (-) against the file on disk (+), coloured."""
    lines = difflib.unified_diff(
        mine.splitlines(),
        theirs.splitlines(),
        fromfile=f"{name} (in quillpen)",
        tofile=f"{name} (on disk)",
        lineterm="",
    )
    text = Text()
    for count, line in enumerate(lines):
        if count == MAX_LINES:
            text.append("… (more differences not shown)\n", "dim")
            break
        style = "green" if line.startswith("+") else "red" if line.startswith("-") else ""
        text.append(line + "\n", "cyan" if line.startswith("@@") else style)
    return text or Text("No differences in the text (only the file's bytes changed).")


class DiskChanges(ModalScreen[str | None]):
    """Shows the differences; dismisses with "reload", "keep" or None (Esc)."""

    BINDINGS = [Binding("escape", "dismiss_none", "Cancel", id="diff.cancel")]

    def __init__(self, name: str, mine: str, theirs: str) -> None:
        super().__init__()
        self.file_name = name
        self.mine = mine
        self.theirs = theirs

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="disk-changes"):
            yield Label(
                f"{self.file_name}: - your text, + the file on disk",
                classes="dialog-question",
                markup=False,
            )
            with VerticalScroll(id="diff-body"):
                yield Static(differences(self.mine, self.theirs, self.file_name), id="diff")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Reload it", id="reload", variant="primary")
                yield Button("Keep mine", id="keep")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
