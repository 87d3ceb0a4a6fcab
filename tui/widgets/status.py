"""The status bar: model and its state, how much of the document the model sees, words."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

if TYPE_CHECKING:
    from tui.messages import EngineCrashed, ModelFailed, ModelLoading, ModelReady


class StatusBar(Widget):
    """One line at the bottom of the main screen."""

    model_name: reactive[str] = reactive("")
    state: reactive[str] = reactive("no model")
    tokens_per_second: reactive[float] = reactive(0.0)
    context_used: reactive[int] = reactive(0)
    window: reactive[int] = reactive(1024)
    hidden_chars: reactive[int] = reactive(0)
    words: reactive[int] = reactive(0)
    word_unit: reactive[str] = reactive("words")
    goal: reactive[str] = reactive("")
    """The day's word goal ("412 / 1,000 today"), or "" (none set: :mod:`tui.goals`)."""
    voice: reactive[str] = reactive("")
    """A voice being taught (tui.voice_job): its progress, shown after the rest."""

    def __init__(self, **kwargs: str) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.idle = "no model"
        """The engine's state, shown whenever nothing is being generated."""

    def set_idle(self, state: str) -> None:
        self.idle = state
        if self.state != "generating":
            self.state = state

    def show_no_model(self) -> None:
        self.model_name = ""
        self.set_idle("no model")

    # The engine's model events arrive here first (the app is told next: they bubble up).
    def on_model_loading(self, message: ModelLoading) -> None:
        remote = "://" in message.path
        self.set_idle("connecting…" if remote else "loading…")
        self.model_name = message.path if remote else Path(message.path).stem

    def on_model_ready(self, message: ModelReady) -> None:
        self.model_name = f"{message.name} {message.quant}".strip()
        self.window = message.n_ctx
        self.set_idle("ready (safe mode)" if message.safe_mode else "ready")

    def on_engine_crashed(self, message: EngineCrashed) -> None:
        self.set_idle("restarting…" if message.event.restarting else "engine stopped")

    def on_model_failed(self, message: ModelFailed) -> None:
        self.show_no_model()

    def on_generation_started(self, prompt_tokens: int, hidden_chars: int) -> None:
        self.state = "generating"
        self.context_used = prompt_tokens
        self.hidden_chars = hidden_chars

    def on_generation_finished(self, context_used: int) -> None:
        self.state = self.idle
        self.context_used = context_used

    def render(self) -> Text:
        state = self.state
        if state == "generating" and self.tokens_per_second:
            state = f"generating {self.tokens_per_second:.0f} tok/s"
        model = self.model_name or "no model (F5)"
        seen = f"ctx {self.context_used}/{self.window}"
        if self.hidden_chars:
            seen += f" · first {self.hidden_chars:,} chars unseen"
        text = Text.assemble(
            (f" {model} ", "bold"),
            "│ ",
            (state, "italic"),
            " │ ",
            seen,
            " │ ",
            f"{self.words:,} {self.word_unit} ",
            f"│ {self.goal} " if self.goal else "",
            *(("│ ", (self.voice, "dim")) if self.voice else ()),
            no_wrap=True,
            overflow="ellipsis",
        )
        return text
