"""F8: the story's memory and author's note, which steer every continuation, and the phrases
the model must never write in it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, TextArea

from tui.key_order import in_key_order
from tui.screens.dialogs import Choice
from tui.store.notes import StoryNotes
from tui.widgets.safe_text_area import SafeTextArea

FIELDS = ("memory", "note", "bans")


class NotesScreen(ModalScreen[StoryNotes | None]):
    """Edit memory and author's note; Ctrl+S or Save keeps them. Esc (or Cancel) closes; with
    changes it first asks whether to save them, discard them, or go on editing."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="notes.cancel"),
        Binding("ctrl+s", "save", "Save notes", id="notes.save", priority=True),
    ]

    def __init__(self, notes: StoryNotes) -> None:
        super().__init__()
        self.notes = notes
        self._opened = (notes.memory, notes.note, "\n".join(notes.bans))
        """The fields' texts as opened: what "changed" is measured against."""

    def compose(self) -> ComposeResult:
        memory, note, bans = self._opened
        with Vertical(classes="dialog", id="notes"):
            yield Label("Memory: always at the top of the prompt (characters, setting, style)")
            yield SafeTextArea(memory, id="memory", soft_wrap=True)
            yield Label("Author's note: placed just before the cursor (e.g. 'tense, rainy night')")
            yield SafeTextArea(note, id="note", soft_wrap=True)
            yield Label("Never write (one phrase a line; also `bans` in config.toml for all):")
            yield SafeTextArea(bans, id="bans", soft_wrap=True)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", id="save", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#memory", TextArea).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def action_save(self) -> None:
        in_key_order(self, self._save)  # after the keys typed just before Ctrl+S

    def _save(self) -> None:
        memory = self.query_one("#memory", TextArea).text
        note = self.query_one("#note", TextArea).text
        lines = self.query_one("#bans", TextArea).text.splitlines()
        bans = tuple(dict.fromkeys(line.strip() for line in lines if line.strip()))
        self.dismiss(StoryNotes(memory.strip(), note.strip(), bans))

    @property
    def changed(self) -> bool:
        """Any field differs from what it was when the screen opened."""
        texts = tuple(self.query_one(f"#{name}", TextArea).text for name in FIELDS)
        return texts != self._opened

    def action_cancel(self) -> None:
        if not self.changed:
            self.dismiss(None)
            return

        def answer(choice: str | None) -> None:
            if choice == "save":
                self._save()
            elif choice == "discard":
                self.dismiss(None)
            # Cancel (or Esc): back to editing, nothing lost.

        self.app.push_screen(
            Choice(
                "Save your changes to the memory, author's note and bans?",
                [("save", "Save"), ("discard", "Discard"), ("cancel", "Cancel")],
            ),
            answer,
        )
