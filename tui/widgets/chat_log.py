"""The chat log and its entries: the writer's messages, the replies, and failures."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from models.prompting.transcript import Turn
from models.text import printable
from tui.store.chats import ChatRecord, ReplyVersions

if TYPE_CHECKING:
    from textual.widgets.markdown import MarkdownStream

STOPPED_NOTE = "⏹ stopped"


class UserMessage(Static):
    """One of the writer's messages, as plain text."""

    def __init__(self, text: str) -> None:
        super().__init__(printable(text), markup=False, classes="chat-message chat-user")
        self.text = text
        self.border_title = "You"


class AssistantMessage(Vertical):
    """One reply: Markdown, streamed while it arrives, plus a note when stopped or empty; a
    regenerated reply says which of its versions it is under its border."""

    def __init__(
        self, text: str = "", *, stopped: bool = False, pending: bool = False, version: str = ""
    ) -> None:
        super().__init__(classes="chat-message chat-assistant")
        self.text = text
        self.stopped = stopped
        self.border_title = "Assistant"
        self.border_subtitle = version  # "reply 2 of 3" for a regenerated reply
        from textual.widgets import Markdown  # imported on first use: ~0.15 s off the launch

        self.markdown = Markdown(printable(text), open_links=False, classes="chat-reply")
        self.note = Static("", markup=False, classes="chat-note")
        self.set_class(pending, "-pending")
        if stopped:
            self.set_note(STOPPED_NOTE)

    def compose(self) -> ComposeResult:
        yield self.markdown
        yield self.note

    async def finish(self, text: str, note: str = "") -> None:
        """Show the whole reply ``text`` (one full render of it), with ``note`` under it."""
        self.remove_class("-pending")
        await self.markdown.update(text)
        self.text = text
        self.stopped = bool(text) and note == STOPPED_NOTE
        self.set_note(note)

    def set_note(self, text: str) -> None:
        self.note.update(text)
        self.set_class(bool(text), "-noted")


class PendingReply:
    """A reply on its way: its request, its entry in the log, and the text streamed so far.

    ``replacing`` is the index (in the history) of the reply it is a new version of, or None.
    """

    def __init__(self, request_id: int, widget: AssistantMessage, replacing: int | None) -> None:
        self.request_id = request_id
        self.widget = widget
        self.replacing = replacing
        self.raw = ""
        self._stream: MarkdownStream | None = None

    @property
    def showing(self) -> bool:
        """Some of its text is shown."""
        return self._stream is not None

    async def write(self, text: str) -> None:
        """Show one more piece of the reply (streamed: no full render until the end)."""
        text = printable(text)
        if not self.raw:
            text = text.lstrip()  # the space after "Assistant:"
        if not text:
            return
        self.raw += text
        if self._stream is None:
            self.widget.remove_class("-pending")
            self._stream = self.widget.markdown.get_stream(self.widget.markdown)
        await self._stream.write(text)

    async def close(self) -> None:
        """Stop its stream (the text it wrote stays)."""
        if self._stream is not None:
            stream, self._stream = self._stream, None
            await stream.stop()


class ErrorLine(Static):
    """A failure (no model loaded, generation error), shown in the log; not part of the history."""

    def __init__(self, text: str) -> None:
        super().__init__(printable(text), markup=False, classes="chat-error")


def reply_widget(turn: Turn, versions: ReplyVersions | None) -> AssistantMessage:
    """A saved reply, labelled with its version when it has others."""
    return AssistantMessage(
        turn.content, stopped=turn.stopped, version=versions.label if versions else ""
    )


class ChatLog(VerticalScroll):
    """The scrolling log of a chat: each turn, a regenerated reply labelled with its version."""

    async def show(self, chat: ChatRecord) -> None:
        """Show ``chat`` in place of what is shown."""
        await self.remove_children()
        widgets: list[Widget] = [
            UserMessage(t.content) if t.role == "user" else reply_widget(t, chat.versions.get(i))
            for i, t in enumerate(chat.turns)
        ]
        if widgets:
            await self.mount_all(widgets)

    async def clear_tail(self) -> None:
        """Remove what is shown after the last message: its reply, an error line."""
        children = list(self.children)
        marks = [i for i, w in enumerate(children) if isinstance(w, UserMessage)]
        await self.remove_children(children[marks[-1] + 1 :] if marks else children)

    async def show_last_reply(self, chat: ChatRecord, *after: Widget) -> None:
        """Show the chat's last reply (if it ends with one) after the last message, then
        ``after``, in place of what was there."""
        await self.clear_tail()
        last = len(chat.turns) - 1
        if last >= 0 and chat.turns[last].role == "assistant":
            after = (reply_widget(chat.turns[last], chat.versions.get(last)), *after)
        if after:
            await self.mount_all(after)
