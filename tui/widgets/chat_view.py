"""The chat pane's widgets and its saved chat: the log, the input, "include my draft", and the
history on disk (:mod:`tui.store.chats`). ``ChatPane`` (:mod:`tui.widgets.chat`) adds the
model: its keys, and the replies it asks for."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Checkbox, Static, TextArea

from models.prompting.transcript import Turn
from tui.store.chats import ChatRecord, load_chat_record, save_chat
from tui.widgets.chat_log import ChatLog
from tui.widgets.safe_text_area import SafeTextArea


class ChatView(Widget):
    """The parts of the chat pane, and the chat of the document ``document_key`` names."""

    def __init__(
        self,
        document_key: str,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.document_key = document_key
        self.chat = ChatRecord()
        """The history as shown, and every version of each regenerated reply."""
        self._save_warned = False

    def compose(self) -> ComposeResult:
        # The input comes first so that focusing the pane lands in it; CSS docks it at the bottom.
        with Vertical(id="chat-compose"):
            yield SafeTextArea(id="chat-input", soft_wrap=True, tab_behavior="focus")
            with Horizontal(id="chat-controls"):
                yield Checkbox("Include my draft", id="chat-include-draft", compact=True)
                yield Static("⏎ send · ^J newline · Esc stop", id="chat-hint", markup=False)
        yield ChatLog(id="chat-log")

    async def on_mount(self) -> None:
        self.log_view.anchor()
        self.chat = load_chat_record(self.document_key)
        await self.log_view.show(self.chat)

    @property
    def history(self) -> list[Turn]:
        """The chat as shown, oldest first (the other versions of replies: ``chat.versions``)."""
        return self.chat.turns

    @property
    def log_view(self) -> ChatLog:
        return self.query_one("#chat-log", ChatLog)

    @property
    def input(self) -> TextArea:
        return self.query_one("#chat-input", TextArea)

    @property
    def include_draft(self) -> bool:
        return self.query_one("#chat-include-draft", Checkbox).value

    @include_draft.setter
    def include_draft(self, value: bool) -> None:
        self.query_one("#chat-include-draft", Checkbox).value = value

    def _save(self) -> None:
        saved = save_chat(self.document_key, self.history, self.chat.versions)
        if not saved and not self._save_warned:
            self._save_warned = True
            self.notify("Could not save the chat history", severity="warning")
