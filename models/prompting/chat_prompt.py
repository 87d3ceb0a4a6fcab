"""The prompt for a chat reply: the model's own chat template when its GGUF has one, else the
transcript format (:mod:`models.prompting.transcript`), fitted to the window either way."""

from __future__ import annotations

from collections.abc import Sequence

from models.prompting.chat_template import TemplateFailed, templated
from models.prompting.transcript import (
    ChatPrompt,
    ChatTokenizer,
    Turn,
    style_for,
    transcript_prompt,
)


def build_chat_prompt(
    tok: ChatTokenizer,
    history: Sequence[Turn],
    message: str,
    *,
    draft: str | None = None,
    max_new: int = 200,
) -> ChatPrompt:
    """The prompt for the assistant's reply to ``message`` after ``history``.

    ``draft``: the document's text ("include my draft"); its last part (≤ ``DRAFT_MAX``
    tokens, from a sentence start) goes into the prompt. Uses the model's chat template when
    its GGUF has one, the transcript format otherwise (or if the template fails to render).
    """
    window = tok.n_ctx_train
    max_new = max(1, min(max_new, window - 1))
    budget = window - max_new
    template = getattr(getattr(tok, "info", None), "chat_template", None)
    render_chat = getattr(tok, "render_chat", None)  # (a local model: models.local.chat_format)
    if template and render_chat is not None:
        try:
            return templated(tok, render_chat, history, message, draft, budget)
        except TemplateFailed:
            pass
    return transcript_prompt(tok, history, message, draft, budget, style_for(tok))
