"""A host app for the chat pane alone, a real engine or a recording one, and small helpers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult

from models.engine_client import GenerateRequest, Sink
from models.local.client import LocalEngine
from models.local.engine import Engine
from models.prompting.chat_prompt import build_chat_prompt
from models.prompting.transcript import Turn
from models.sampling import SamplerSettings
from tui.intents import AskChoice
from tui.messages import (
    ModelReady,
    deliver,
)
from tui.screens.dialogs import Choice
from tui.widgets.chat import (
    CSS_FILE,
    AssistantMessage,
    ChatPane,
)


class ChatHost(App[object]):
    CSS_PATH = CSS_FILE

    def __init__(
        self,
        model: Path | None,
        *,
        key: str = "doc",
        draft: str = "",
        max_tokens: int = 24,
        engine: Any = None,
    ) -> None:
        super().__init__()
        self.model = model
        self.key = key
        self.draft = draft
        self.max_tokens = max_tokens
        self.engine = engine or LocalEngine(deliver(self))
        self.sampler = SamplerSettings(seed=7)
        self.ready = model is None
        self.inserted: list[str] = []

    def compose(self) -> ComposeResult:
        yield ChatPane(
            self.key,
            lambda: self.draft,
            self.engine,
            lambda: self.sampler,
            max_tokens=self.max_tokens,
        )

    def on_mount(self) -> None:
        if isinstance(self.engine, LocalEngine) and self.model is not None:
            self.engine.load(self.model)
        self.query_one(ChatPane).input.focus()

    def on_unmount(self) -> None:
        if isinstance(self.engine, LocalEngine):
            self.engine.close()

    def on_model_ready(self, message: ModelReady) -> None:
        self.ready = True

    def on_chat_pane_insert_reply(self, message: ChatPane.InsertReply) -> None:
        self.inserted.append(message.text)

    def on_ask_choice(self, message: AskChoice) -> None:
        """The pane asks before clearing (as the main screen opens it in the app)."""
        self.push_screen(Choice(message.question, message.answers), message.reply)


def replies(pane: ChatPane) -> list[AssistantMessage]:
    return list(pane.query(AssistantMessage))


async def send(pilot: Any, pane: ChatPane, text: str) -> None:
    pane.input.focus()
    await pilot.press(*text)
    await pilot.press("enter")


def prompt_text(pane: ChatPane, engine: Engine) -> str:
    """The transcript the engine built for the pane's last request (built again here)."""
    spec = pane.last_spec
    assert spec is not None
    return build_chat_prompt(
        engine, list(spec.history), spec.message, draft=spec.draft, max_new=pane.max_tokens
    ).text


class RecordingEngine:
    """Records requests; the test plays the engine's part by posting messages."""

    def __init__(self) -> None:
        self.requests: list[GenerateRequest] = []
        self.sinks: list[Sink] = []
        self.cancelled = 0

    def submit(self, request: GenerateRequest, sink: Sink, *, exclusive: bool = True) -> int:
        self.requests.append(request)
        self.sinks.append(sink)
        return request.id

    def cancel(self, request_ids: Any = None) -> None:
        self.cancelled += 1


def versions_of_last(pane: ChatPane) -> tuple[Turn, ...]:
    """Every version of the last reply (the reply alone when it has no others)."""
    versions = pane.chat.versions.get(len(pane.history) - 1)
    return versions.replies if versions else tuple(pane.history[-1:])
