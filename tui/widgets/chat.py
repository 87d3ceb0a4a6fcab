"""The chat pane: talk about the draft with the model, reply by reply.

``ChatPane`` shows a scrolling log (the writer's messages as plain text, replies as Markdown
streamed as they arrive), an input and an "include my draft" check box. It asks for replies
through the engine client it is given, like every widget that asks for text, and keeps its
history per document on disk (:mod:`tui.store.chats`).

Its keys are priority bindings (``BINDINGS``), so they win over the input's own keys while the
pane has focus; the ones that act on the typed text run after the keys read before them
(:mod:`tui.key_order`). Escape stops a reply, which stays, marked "stopped"; while a reply streams,
Enter and Ctrl+R are refused with a notice (one reply at a time). Ctrl+R adds a version of the
last reply and Alt+←/→ show its others (``versions``, saved with the history); a new version
that fails or is stopped before any text leaves the one before in place. Styles: ``chat.tcss``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.actions import SkipAction
from textual.binding import Binding, BindingType
from textual.message import Message

from models.engine_client import EngineClient, GenerateRequest
from models.prompting.prompts import ChatSpec, PromptFacts
from models.prompting.transcript import CHAT_STOPS, Turn, clean_reply
from models.sampling import PRESETS, SamplerSettings
from models.stats import StreamStats
from tui.intents import AskChoice
from tui.key_order import in_key_order
from tui.messages import GenerationChunk, GenerationFinished, GenerationStarted, deliver
from tui.store.chats import ChatRecord, delete_chat, load_chat_record
from tui.widgets.chat_log import (
    STOPPED_NOTE,
    AssistantMessage,
    ErrorLine,
    PendingReply,
    UserMessage,
)
from tui.widgets.chat_view import ChatView

log = logging.getLogger("quillpen.chat")

CSS_FILE = Path(__file__).with_name("chat.tcss")
"""The stylesheet for this widget, for the host app's ``CSS_PATH``."""

MAX_REPLY_TOKENS = 200
NO_REPLY_NOTE = "(no reply: press Ctrl+R to try again)"


class ChatPane(ChatView):
    """Chat with the model about the draft; history kept per document (:class:`ChatView`:
    the pane's widgets and its saved chat).

    ``document_key`` names the saved history (:func:`tui.store.keys.document_key`);
    ``draft_provider`` returns the document's text for "include my draft"; ``engine`` is the
    engine client replies are asked of, with the settings ``sampler`` gives.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "send", "Send", id="chat.send", priority=True),
        Binding("ctrl+j", "newline", "Newline", id="chat.newline", show=False, priority=True),
        Binding("escape", "stop", "Stop", id="chat.stop", priority=True),
        Binding("ctrl+r", "regenerate", "Regenerate", id="chat.regenerate", priority=True),
        Binding(
            "alt+left",
            "reply_version(-1)",
            "Previous reply",
            id="chat.previous",
            show=False,
            priority=True,
        ),
        Binding(
            "alt+right", "reply_version(1)", "Next reply", id="chat.next", show=False, priority=True
        ),
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
        sampler: Callable[[], SamplerSettings] = lambda: PRESETS["balanced"],
        *,
        max_tokens: int = MAX_REPLY_TOKENS,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(document_key, name=name, id=id, classes=classes)
        self.draft_provider = draft_provider
        self.engine = engine
        self.sampler = sampler
        self.max_tokens = max_tokens
        self.last_spec: ChatSpec | None = None
        """What the latest request asked the engine to continue."""
        self.last_facts: PromptFacts | None = None
        """What the engine made of it (turns dropped, draft tokens), from its started event."""
        self._pending: PendingReply | None = None
        self._finishing = False
        self.last_stats = StreamStats()

    # Documents -------------------------------------------------------------------------------
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
        self.chat = load_chat_record(document_key)
        if self._pending is not None:  # its last messages belong to the old document
            self._cancel()
            self.call_later(self._pending.close)
            self._pending = None
        if self.is_mounted:
            self.call_later(self._reload)

    async def _reload(self) -> None:
        await self._abandon()
        await self.log_view.show(self.chat)

    def _cancel(self) -> None:
        if self._pending is not None:
            self.engine.cancel([self._pending.request_id])

    @property
    def streaming(self) -> bool:
        """A reply is on its way (from sending until it is in place: finished, failed or
        stopped, and in the history)."""
        return self._pending is not None or self._finishing

    @property
    def last_reply(self) -> str | None:
        """The last finished reply, or None."""
        for turn in reversed(self.history):
            if turn.role == "assistant":
                return turn.content
        return None

    def _busy(self) -> bool:
        """One reply at a time: True (with a notice) while one streams."""
        if self.streaming:
            self.notify("Still replying: press Esc to stop it first", severity="warning")
        return self.streaming

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
        pending = self._pending
        if pending is not None and not pending.showing:
            # Nothing shown yet (the request may still be queued): finish it here and ignore
            # whatever it still sends; a regeneration leaves the reply before it in place.
            await self._abandon()
            if pending.replacing is not None:
                await self.log_view.show_last_reply(self.chat)
                return
            await pending.widget.finish("", STOPPED_NOTE)
        # Otherwise the partial reply is finished when GenerationFinished(cancelled) arrives.

    async def action_regenerate(self) -> None:
        if self._busy():
            return
        last_user = self.chat.last_message()
        if last_user is None:
            self.notify("Nothing to regenerate yet", severity="warning")
            return
        # The reply (if any) stays in the history, and saved, until its new version arrives.
        replacing = last_user + 1 if last_user + 1 < len(self.history) else None
        await self.log_view.clear_tail()  # the old reply and any error line
        await self._ask(self.history[last_user].content, self.history[:last_user], replacing)

    async def action_reply_version(self, step: int) -> None:
        """Alt+←/→: show the previous or next version of the last reply (after Ctrl+R)."""
        if self._busy():
            return
        index = len(self.history) - 1
        versions = self.chat.versions.get(index)
        if versions is None:
            self.notify("The last reply has no other versions (regenerate it to get one)")
            return
        moved = versions.step(step)
        if moved is None:
            self.notify(f"This is the {'first' if step < 0 else 'last'} version ({versions.label})")
            return
        self.chat.show(index, moved)
        self._save()
        await self.log_view.show_last_reply(self.chat)

    def _reply_to(self, verb: str) -> str | None:
        if not (reply := self.last_reply):
            self.notify(f"No reply to {verb} yet", severity="warning")
        return reply

    def action_insert_reply(self) -> None:
        if reply := self._reply_to("insert"):
            self.post_message(self.InsertReply(reply))

    def action_copy_reply(self) -> None:
        if not (reply := self._reply_to("copy")):
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
        self.post_message(
            AskChoice(
                f"Clear this chat ({turns} message{'s' if turns != 1 else ''})? "
                "Its saved history is deleted too.",
                [("clear", "Clear"), ("cancel", "Cancel")],
                answer,
            )
        )

    async def clear(self) -> None:
        """Clear the chat and delete its saved history now."""
        if self.streaming:
            self._cancel()
            await self._abandon()
        await self.log_view.remove_children()
        self.chat = ChatRecord()
        if not delete_chat(self.document_key):
            self.notify("Could not delete the saved chat history", severity="warning")
        self.notify("Chat cleared")

    # Sending ---------------------------------------------------------------------------------
    async def send(self, text: str) -> None:
        """Send ``text`` as the writer's message (what Enter does with the input's text)."""
        message = text.strip()
        if not message:
            return
        if self._busy():
            return
        self.input.clear()
        self.history.append(Turn("user", message))
        self._save()
        await self.log_view.mount(UserMessage(message))
        await self._ask(message)

    async def _ask(
        self, message: str, prior: list[Turn] | None = None, replacing: int | None = None
    ) -> None:
        """Request a reply to ``message``, which follows ``prior`` (default: the history); with
        ``replacing``, as a new version of the reply at that index."""
        prior = list(self.history[:-1] if prior is None else prior)
        draft: str | None = None
        if self.include_draft:
            try:
                draft = self.draft_provider()
            except Exception:
                log.exception("the draft provider failed")
        settings = self.sampler()
        spec = ChatSpec(tuple(prior), message, draft)
        request = GenerateRequest(spec, settings, self.max_tokens, CHAT_STOPS)
        self.last_spec = spec
        self.last_facts = None
        self._pending = PendingReply(request.id, AssistantMessage(pending=True), replacing)
        await self.log_view.mount(self._pending.widget)
        self.refresh_bindings()
        self.engine.submit(request, deliver(self))

    # Generation messages ---------------------------------------------------------------------
    # These messages bubble on to the main screen afterwards (the status bar shows every
    # generation).
    def _ours(self, request_id: int) -> PendingReply | None:
        pending = self._pending
        return pending if pending is not None and pending.request_id == request_id else None

    @on(GenerationStarted)
    def _on_started(self, event: GenerationStarted) -> None:
        if self._ours(event.request_id):
            self.last_facts = event.facts

    @on(GenerationChunk)
    async def _on_chunk(self, event: GenerationChunk) -> None:
        if pending := self._ours(event.request_id):
            await pending.write(event.text)

    @on(GenerationFinished)
    async def _on_finished(self, event: GenerationFinished) -> None:
        pending = self._ours(event.request_id)
        if pending is None:
            return
        self._finishing = True  # still "streaming" (one reply at a time) until it is in place
        try:
            await self._finish(pending, event)
        finally:
            self._finishing = False
            self.refresh_bindings()

    async def _finish(self, pending: PendingReply, event: GenerationFinished) -> None:
        self.last_stats = event.stats
        reply, replacing, text = pending.widget, pending.replacing, clean_reply(pending.raw)
        chat = self.chat  # (another document's, or a cleared one, by the end: not its reply)
        await self._abandon()
        error = ErrorLine(f"⚠ No reply: {event.error}") if event.error else None
        if replacing is not None and (error or not text):  # the reply before stays
            await self.log_view.show_last_reply(self.chat, *([error] if error else []))
            if not error:
                self.notify("No new reply: the previous one is kept", severity="warning")
            return
        if error:
            await (reply.finish(text) if text else reply.remove())
            await self.log_view.mount(error)
            return
        if not text:
            await reply.finish("", STOPPED_NOTE if event.cancelled else NO_REPLY_NOTE)
            return
        await reply.finish(text, STOPPED_NOTE if event.cancelled else "")
        if chat is self.chat:
            versions = chat.add_reply(Turn("assistant", text, stopped=event.cancelled), replacing)
            reply.border_subtitle = versions.label if versions else ""
            self._save()

    async def _abandon(self) -> None:
        """Forget the current request: its later messages are ignored."""
        pending, self._pending = self._pending, None
        if pending is not None:
            await pending.close()
        self.refresh_bindings()
