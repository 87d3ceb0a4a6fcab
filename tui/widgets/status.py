"""The status bar: model and its state, how much of the document the model sees, words."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget


class StatusBar(Widget):
    """One line at the bottom of the main screen."""

    model_name: reactive[str] = reactive("")
    state: reactive[str] = reactive("no model")
    tokens_per_second: reactive[float] = reactive(0.0)
    context_used: reactive[int] = reactive(0)
    window: reactive[int] = reactive(1024)
    hidden_chars: reactive[int] = reactive(0)
    words: reactive[int] = reactive(0)

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
            f"{self.words:,} words ",
            no_wrap=True,
            overflow="ellipsis",
        )
        return text
