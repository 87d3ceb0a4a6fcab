"""The chat pane: talk about the draft with the model, reply by reply.

``ChatPane`` shows a scrolling log (the writer's messages as plain text, replies as Markdown
streamed as they arrive), an input and an "include my draft" check box. It asks for replies
through the engine client it is given, like every widget that asks for text, and keeps its
history per document on disk (:mod:`tui.store.chats`).

Its keys are priority bindings (``BINDINGS``), so they win over the input's own keys while the
pane has focus; the ones that act on the typed text run after the keys read before them
(:mod:`tui.keys`). Escape stops a reply, which stays, marked "stopped"; while a reply streams,
Enter and Ctrl+R are refused with a notice (one reply at a time). Styles: ``chat.tcss``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Checkbox, Static, TextArea

from models.engine import StreamStats
from models.engine_client import EngineClient, GenerateRequest
from models.prompts import ChatSpec, PromptFacts
from models.sampling import PRESETS, SamplerSettings
from models.text import printable
from models.transcript import CHAT_STOPS, Turn, clean_reply
from tui.keys import in_key_order
from tui.messages import GenerationChunk, GenerationFinished, GenerationStarted, deliver
from tui.screens.dialogs import Choice
from tui.store.chats import delete_chat, load_chat, save_chat
from tui.widgets.chat_log import STOPPED_NOTE, AssistantMessage, ErrorLine, UserMessage

if TYPE_CHECKING:
    from textual.widgets.markdown import MarkdownStream

log = logging.getLogger("quillpen.chat")

CSS_FILE = Path(__file__).with_name("chat.tcss")
"""The stylesheet for this widget, for the host app's ``CSS_PATH``."""

MAX_REPLY_TOKENS = 200
NO_REPLY_NOTE = "(no reply: press Ctrl+R to try again)"


class ChatPane(Widget):
    """Chat with the model about the draft; history kept per document.

    ``document_key`` names the saved history (:func:`tui.chat_store.document_key`);
    ``draft_provider`` returns the document's text for "include my draft"; ``engine`` is the
    engine client replies are asked of.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "send", "Send", id="chat.send", priority=True),
        Binding("ctrl+j", "newline", "Newline", id="chat.newline", show=False, priority=True),
        Binding("escape", "stop", "Stop", id="chat.stop", priority=True),
        Binding("ctrl+r", "regenerate", "Regenerate", id="chat.regenerate", priority=True),
        Binding("ctrl+t", "insert_reply", "Insert reply", id="chat.insert", priority=True),
        Binding("ctrl+k", "copy_reply", "Copy reply", id="chat.copy", priority=True),
        Binding("ctrl+l", "clear", "Clear chat", id="chat.clear", priority=True),
    ]

    class InsertReply(Message):
        """The writer asked to put ``text`` (the last reply) into the document."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(
        self,
        document_key: str,
        draft_provider: Callable[[], str],
        engine: EngineClient,
        *,
        max_tokens: int = MAX_REPLY_TOKENS,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.document_key = document_key
        self.draft_provider = draft_provider
        self.engine = engine
        self.max_tokens = max_tokens
        self.history: list[Turn] = []
        self.last_spec: ChatSpec | None = None
        """What the latest request asked the engine to continue."""
        self.last_facts: PromptFacts | None = None
        """What the engine made of it (turns dropped, draft tokens), from its started event."""
        self._request_id: int | None = None
        self._reply: AssistantMessage | None = None
        self._stream: MarkdownStream | None = None
        self._raw = ""
        self._save_warned = False
        self.last_stats = StreamStats()

    # Layout ----------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        # The input comes first so that focusing the pane lands in it; CSS docks it at the bottom.
        with Vertical(id="chat-compose"):
            yield TextArea(id="chat-input", soft_wrap=True, tab_behavior="focus")
            with Horizontal(id="chat-controls"):
                yield Checkbox("Include my draft", id="chat-include-draft", compact=True)
                yield Static("⏎ send · ^J newline · Esc stop", id="chat-hint", markup=False)
        yield VerticalScroll(id="chat-log")

    async def on_mount(self) -> None:
        self.log_view.anchor()
        self.history = load_chat(self.document_key)
        await self._show_history()

    def set_document(self, document_key: str, *, keep_history: bool = False) -> None:
        """Switch to the chat of another document (opened, or saved under a new name).

        Loads the saved history of ``document_key``; with ``keep_history`` the current chat
        moves to the new key instead (for "save as" of a document that had a chat). A reply
        still streaming is stopped.
        """
        old_key = self.document_key
        if document_key == old_key:
            return
        self.document_key = document_key
        if keep_history:
            self._save()
            delete_chat(old_key)
            return
        self.history = load_chat(document_key)
        if self.streaming:
            self._cancel()
            self._request_id = None  # its last messages belong to the old document
        if self.is_mounted:
            self.call_later(self._reload)

    async def _reload(self) -> None:
        await self._abandon()
        await self.log_view.remove_children()
        await self._show_history()

    async def _show_history(self) -> None:
        widgets: list[Widget] = [
            UserMessage(t.content)
            if t.role == "user"
            else AssistantMessage(t.content, stopped=t.stopped)
            for t in self.history
        ]
        if widgets:
            await self.log_view.mount_all(widgets)

    @property
    def log_view(self) -> VerticalScroll:
        return self.query_one("#chat-log", VerticalScroll)

    @property
    def input(self) -> TextArea:
        return self.query_one("#chat-input", TextArea)

    @property
    def include_draft(self) -> bool:
        return self.query_one("#chat-include-draft", Checkbox).value

    @include_draft.setter
    def include_draft(self, value: bool) -> None:
        self.query_one("#chat-include-draft", Checkbox).value = value

    def _cancel(self) -> None:
        if self._request_id is not None:
            self.engine.cancel([self._request_id])

    @property
    def streaming(self) -> bool:
        """A reply is on its way (from sending until it finishes, fails or is stopped)."""
        return self._request_id is not None

    @property
    def last_reply(self) -> str | None:
        """The last finished reply, or None."""
        for turn in reversed(self.history):
            if turn.role == "assistant":
                return turn.content
        return None

    # Actions ---------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":  # Escape belongs to others unless a reply is streaming
            return self.streaming
        return True

    def action_send(self) -> None:
        if self.screen.focused is not self.input:
            raise SkipAction()  # Enter on the check box (or elsewhere) keeps its own meaning
        in_key_order(self, lambda: self.send(self.input.text))  # with every key typed before

    def action_newline(self) -> None:
        field = self.input
        if self.screen.focused is not field:
            raise SkipAction()
        in_key_order(
            self, lambda: field.replace("\n", *field.selection, maintain_selection_offset=False)
        )

    async def action_stop(self) -> None:
        if not self.streaming:
            raise SkipAction()
        self._cancel()
        if self._stream is None and self._reply is not None:
            # Nothing shown yet (the request may still be queued): finish it here and ignore
            # whatever it still sends.
            reply = self._reply
            await self._abandon()
            reply.remove_class("-pending")
            reply.set_note(STOPPED_NOTE)
        # Otherwise the partial reply is finished when GenerationFinished(cancelled) arrives.

    async def action_regenerate(self) -> None:
        if self.streaming:
            self.notify("Still replying: press Esc to stop it first", severity="warning")
            return
        last_user = next(
            (i for i in range(len(self.history) - 1, -1, -1) if self.history[i].role == "user"),
            None,
        )
        if last_user is None:
            self.notify("Nothing to regenerate yet", severity="warning")
            return
        # Remove the old reply (and any error line) shown after the last message.
        children = list(self.log_view.children)
        marks = [i for i, w in enumerate(children) if isinstance(w, UserMessage)]
        if marks:
            await self.log_view.remove_children(children[marks[-1] + 1 :])
        message = self.history[last_user].content
        del self.history[last_user + 1 :]
        self._save()
        await self._ask(message)

    def action_insert_reply(self) -> None:
        reply = self.last_reply
        if not reply:
            self.notify("No reply to insert yet", severity="warning")
            return
        self.post_message(self.InsertReply(reply))

    def action_copy_reply(self) -> None:
        reply = self.last_reply
        if not reply:
            self.notify("No reply to copy yet", severity="warning")
            return
        self.app.copy_to_clipboard(reply)  # OSC 52: works over SSH in most terminals
        try:
            import pyperclip  # optional; not a dependency

            pyperclip.copy(reply)
        except Exception:  # not installed, or no clipboard on this system
            pass
        self.notify("Copied")

    def action_clear(self) -> None:
        """Ctrl+L: clear the chat and its saved history, after asking (it cannot be undone)."""
        if not self.history and not self.streaming:
            self.notify("The chat is empty")
            return

        def answer(choice: str | None) -> None:
            if choice == "clear":
                self.call_later(self.clear)

        turns = len(self.history)
        self.app.push_screen(
            Choice(
                f"Clear this chat ({turns} message{'s' if turns != 1 else ''})? "
                "Its saved history is deleted too.",
                [("clear", "Clear"), ("cancel", "Cancel")],
            ),
            answer,
        )

    async def clear(self) -> None:
        """Clear the chat and delete its saved history now."""
        if self.streaming:
            self._cancel()
            await self._abandon()
        await self.log_view.remove_children()
        self.history = []
        if not delete_chat(self.document_key):
            self.notify("Could not delete the saved chat history", severity="warning")
        self.notify("Chat cleared")

    # Sending ---------------------------------------------------------------------------------
    async def send(self, text: str) -> None:
        """Send ``text`` as the writer's message (what Enter does with the input's text)."""
        message = text.strip()
        if not message:
            return
        if self.streaming:
            self.notify("Still replying: press Esc to stop it first", severity="warning")
            return
        self.input.clear()
        self.history.append(Turn("user", message))
        self._save()
        await self.log_view.mount(UserMessage(message))
        await self._ask(message)

    async def _ask(self, message: str) -> None:
        """Request a reply to ``message``, the history's last turn."""
        prior = list(self.history[:-1])
        draft: str | None = None
        if self.include_draft:
            try:
                draft = self.draft_provider()
            except Exception:
                log.exception("the draft provider failed")
        settings: SamplerSettings = getattr(self.app, "sampler", PRESETS["balanced"])
        spec = ChatSpec(tuple(prior), message, draft)
        request = GenerateRequest(spec, settings, self.max_tokens, CHAT_STOPS)
        self.last_spec = spec
        self.last_facts = None
        self._request_id = request.id
        self._raw = ""
        self._stream = None
        self._reply = AssistantMessage(pending=True)
        await self.log_view.mount(self._reply)
        self.refresh_bindings()
        self.engine.submit(request, deliver(self))

    # Generation messages ---------------------------------------------------------------------
    # These messages bubble on to the app afterwards (its status bar shows every generation).
    @on(GenerationStarted)
    def _on_started(self, event: GenerationStarted) -> None:
        if event.request_id == self._request_id:
            self.last_facts = event.facts

    @on(GenerationChunk)
    async def _on_chunk(self, event: GenerationChunk) -> None:
        if event.request_id != self._request_id or self._reply is None:
            return
        text = printable(event.text)
        if not self._raw:
            text = text.lstrip()  # the space after "Assistant:"
        if not text:
            return
        self._raw += text
        if self._stream is None:
            self._reply.remove_class("-pending")
            self._stream = self._reply.markdown.get_stream(self._reply.markdown)
        await self._stream.write(text)

    @on(GenerationFinished)
    async def _on_finished(self, event: GenerationFinished) -> None:
        if event.request_id != self._request_id:
            return
        self.last_stats = event.stats
        reply = self._reply
        text = clean_reply(self._raw)
        await self._abandon()
        if reply is None:
            return
        reply.remove_class("-pending")
        await reply.markdown.update(text)  # one full render of the cleaned reply
        reply.text = text
        if event.error:
            if not text:
                await reply.remove()
            await self.log_view.mount(ErrorLine(f"⚠ No reply: {event.error}"))
            return
        if not text:
            reply.set_note(STOPPED_NOTE if event.cancelled else NO_REPLY_NOTE)
            return
        reply.stopped = event.cancelled
        if event.cancelled:
            reply.set_note(STOPPED_NOTE)
        self.history.append(Turn("assistant", text, stopped=event.cancelled))
        self._save()

    async def _abandon(self) -> None:
        """Forget the current request: its later messages are ignored."""
        self._request_id = None
        self._reply = None
        self._raw = ""
        if self._stream is not None:
            stream, self._stream = self._stream, None
            await stream.stop()
        self.refresh_bindings()

    def _save(self) -> None:
        if not save_chat(self.document_key, self.history) and not self._save_warned:
            self._save_warned = True
            self.notify("Could not save the chat history", severity="warning")
