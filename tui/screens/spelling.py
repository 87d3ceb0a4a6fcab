"""The suggestions for an unknown word: pick one to replace it, or add the word to the
personal dictionary."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

ADD = "\x00add"
"""The result that means "Add to dictionary" (no word starts with a NUL)."""


class SpellingScreen(ModalScreen[str | None]):
    """Dismisses with the word picked, :data:`ADD`, or None (Esc: leave the word as it is)."""

    BINDINGS = [Binding("escape", "dismiss_none", "Cancel", id="spelling.cancel")]

    def __init__(self, word: str, suggestions: list[str]) -> None:
        super().__init__()
        self.word = word
        self.suggestions = suggestions

    def compose(self) -> ComposeResult:
        options = [Option(s, id=f"word-{i}") for i, s in enumerate(self.suggestions)]
        options.append(Option(f'Add "{self.word}" to the dictionary', id="add"))
        with Vertical(classes="dialog", id="spelling"):
            found = "Suggestions:" if self.suggestions else "No suggestions."
            yield Label(
                f'"{self.word}" is not in the dictionary. {found}',
                classes="dialog-question",
                markup=False,
            )
            yield OptionList(*options, id="suggestions", markup=False)
            yield Label("Enter picks · Esc leaves the word", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        option_id = event.option.id or ""
        if option_id == "add":
            self.dismiss(ADD)
        else:
            self.dismiss(self.suggestions[int(option_id.removeprefix("word-"))])

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
