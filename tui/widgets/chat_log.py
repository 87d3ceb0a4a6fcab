"""The entries of the chat log: the writer's messages, the replies, and failures."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from models.text import printable

STOPPED_NOTE = "⏹ stopped"


class UserMessage(Static):
    """One of the writer's messages, as plain text."""

    def __init__(self, text: str) -> None:
        super().__init__(printable(text), markup=False, classes="chat-message chat-user")
        self.text = text
        self.border_title = "You"


class AssistantMessage(Vertical):
    """One reply: Markdown, streamed while it arrives, plus a note when stopped or empty."""

    def __init__(self, text: str = "", *, stopped: bool = False, pending: bool = False) -> None:
        super().__init__(classes="chat-message chat-assistant")
        self.text = text
        self.stopped = stopped
        self.border_title = "Assistant"
        from textual.widgets import Markdown  # imported on first use: ~0.15 s off the launch

        self.markdown = Markdown(printable(text), open_links=False, classes="chat-reply")
        self.note = Static("", markup=False, classes="chat-note")
        self.set_class(pending, "-pending")
        if stopped:
            self.set_note(STOPPED_NOTE)

    def compose(self) -> ComposeResult:
        yield self.markdown
        yield self.note

    def set_note(self, text: str) -> None:
        self.note.update(text)
        self.set_class(bool(text), "-noted")


class ErrorLine(Static):
    """A failure (no model loaded, generation error), shown in the log; not part of the history."""

    def __init__(self, text: str) -> None:
        super().__init__(printable(text), markup=False, classes="chat-error")
