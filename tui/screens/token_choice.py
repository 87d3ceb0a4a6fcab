"""Ctrl+R on a word the model wrote or scored: its other choices there, with probabilities.

Dismisses with the chosen token's text (the editor swaps it in and continues from it)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from models.text import printable
from models.token_probs import TokenInfo


def percent(prob: float) -> str:
    """``12.3%``; under 0.1% as ``<0.1%`` (not ``0.0%``: the model did consider it)."""
    return "<0.1%" if 0 < prob < 0.0005 else f"{prob:.1%}"


class TokenChoiceScreen(ModalScreen[str | None]):
    """The model's top choices at one token; Enter picks one, Esc keeps the text as it is."""

    BINDINGS = [Binding("escape", "dismiss_none", "Cancel", id="token.cancel")]

    def __init__(self, info: TokenInfo) -> None:
        super().__init__()
        self.info = info
        self.choices = [text for text, _ in info.top if text != info.text]

    def compose(self) -> ComposeResult:
        info = self.info
        place = f"the model's choice no. {info.rank_label}"
        if not info.rank_exact:  # a server's token below every alternative it sent
            place += f" (rarer than all {info.rank - 1} the server listed; its rank unknown)"
        with Vertical(classes="dialog", id="token-choice"):
            yield Label(
                f"“{printable(info.text)}”: {percent(info.prob)}, {place}. "
                "Pick another: the rest of this continuation is written again from it.",
                classes="dialog-question",
                markup=False,
            )
            yield OptionList(
                *[
                    Option(f"{printable(text)!r:<24} {percent(prob):>6}", id=f"t{i}")
                    for i, (text, prob) in enumerate(info.top)
                    if text != info.text
                ],
                markup=False,  # tokens like "[/" are text, not markup
            )

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.choices[event.option_index])

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
