"""Token insight in the editor: F9 colours every token by how expected it was (the surprise
view), and Ctrl+R on a coloured word offers the model's other choices there."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from tui.textual_private import forget_rendered_lines
from tui.widgets.insight import LEGEND, spans_from
from tui.widgets.poem_margin import PoemMarginArea

if TYPE_CHECKING:
    from textual.timer import Timer

    from models.engine_client import EngineClient, Scored
    from models.sampling import SamplerSettings
    from tui.messages import TextScored

NO_MODEL = "No model is loaded: press F5 to choose or download one."
INSIGHT_TOP = 10
"""Alternatives kept per token for Ctrl+R."""
RESCORE_AFTER = 1.5
"""Seconds after the last edit before the surprise view scores the text again."""


class TokenInsightArea(PoemMarginArea):
    """F9 and Ctrl+R over the editor's text; the editor gives ``engine`` and continues text.
    (A mixin for a ``GeneratedTextArea``, as :class:`PoemMarginArea` is.)"""

    engine: EngineClient
    _scoring: int | None = None
    _rescore: Timer | None = None

    def continue_story(
        self,
        max_tokens: int | None = None,
        settings: SamplerSettings | None = None,
        stop: Sequence[str] = (),
        line_form: str | None = None,
        joined: set[int] | None = None,
    ) -> None:
        """Continue the text at the cursor (the editor's)."""
        raise NotImplementedError

    def _insight_on(self) -> bool:
        return self.insight.enabled and self.engine.capabilities.probabilities

    def action_insight(self) -> None:
        """F9: colour every token by how expected it was (the surprise view), or stop."""
        if not self.engine.capabilities.probabilities:
            why = self.engine.capabilities.reasons.get("probabilities", "not with this engine")
            self.notify(f"No token figures here: {why}.", severity="warning")
            return
        self.insight.enabled = not self.insight.enabled
        if self.insight.enabled:
            self.notify(LEGEND, title="Surprise view", timeout=8)
            self._score()
        forget_rendered_lines(self)
        self.refresh()

    def _score(self) -> None:
        from tui.messages import TextScored

        if not self.engine.ready:
            self.notify(NO_MODEL, severity="warning")
            return
        if self._scoring is not None:
            self.engine.cancel([self._scoring])
        text = self.text

        def reply(scored: Scored) -> None:  # (from the engine client's thread)
            self.post_message(TextScored(scored))

        self._scoring = self.engine.score(text, reply, top=INSIGHT_TOP)

    def on_text_scored(self, message: TextScored) -> None:
        scored = message.scored
        if scored.request_id != self._scoring:
            return
        self._scoring = None
        if scored.error:
            self.notify(scored.error, title="Surprise view", severity="error")
        elif "".join(t.text for t in scored.tokens) == self.text and self.insight.enabled:
            self.insight.clear()
            self.insight.add(spans_from((0, 0), scored.tokens))
            forget_rendered_lines(self)
            self.refresh()

    def text_edited(self) -> None:
        if self.insight.enabled and not self.generating:
            if self._rescore is not None:
                self._rescore.stop()
            self._rescore = self.set_timer(RESCORE_AFTER, self._score)

    def action_token_choices(self) -> None:
        """Ctrl+R: the model's other choices for the token at the cursor; one swaps in and the
        rest of that continuation is written again from it (one undo step)."""
        span = self.insight.at(self.cursor_location)
        if span is None or not span.info.top:
            self.notify("Turn on the surprise view (F9) to see the model's choices.")
            return
        from tui.intents import PickToken

        def chosen(text: str | None) -> None:
            if text is None or self.generating:
                return
            joined = self.swap_token(span, text)
            self.continue_story(joined=joined)

        self.post_message(PickToken(span.info, chosen))
