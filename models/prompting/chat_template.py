"""Chat prompts through the model's own chat template (``tokenizer.chat_template`` in its GGUF).

The model renders the template (the local engine with llama-cpp-python's Jinja2 formatter:
:mod:`models.local.chat_format`; this module imports no engine), and the prompt is fitted here
by dropping old turns, as the transcript format does (:mod:`models.prompting.transcript`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from models.prompting.transcript import (
    DRAFT_MAX,
    EOT_ID,
    EOT_TEXT,
    SYSTEM,
    TEMPLATE_STOP,
    ChatPrompt,
    ChatTokenizer,
    Turn,
    draft_block,
    drop_oldest,
    finish,
    tail_text,
)


class TemplateFailed(Exception):
    pass


ChatRenderer = Callable[[list[dict[str, str]]], str]
"""Messages (``role``, ``content``) in, the template's text out: the model's own renderer."""


def _render(render: ChatRenderer, messages: list[dict[str, str]]) -> str:
    try:
        return render(messages)
    except Exception as exc:  # a syntax error, the sandbox's SecurityError, raise_exception
        raise TemplateFailed(str(exc)) from exc


def _special_tokenize(tok: ChatTokenizer, text: str) -> list[int]:
    """Tokenize rendered template text, with ``<|endoftext|>`` as the special token."""
    tokens: list[int] = []
    for i, part in enumerate(text.split(EOT_TEXT)):
        if i:
            tokens.append(EOT_ID)
        tokens += tok.tokenize(part)
    return tokens


def templated(
    tok: ChatTokenizer,
    render_chat: ChatRenderer,
    history: Sequence[Turn],
    message: str,
    draft: str | None,
    budget: int,
) -> ChatPrompt:
    turns = list(history)
    message = message.strip()
    draft_text = tail_text(tok, draft.strip(), DRAFT_MAX) if draft and draft.strip() else ""

    def messages(system_role: bool) -> list[dict[str, str]]:
        system = SYSTEM + (f"\n\n{draft_block(draft_text).strip()}" if draft_text else "")
        msgs = [{"role": t.role, "content": t.content} for t in turns]
        msgs.append({"role": "user", "content": message})
        if system_role:
            return [{"role": "system", "content": system}, *msgs]
        first = msgs[0]
        msgs[0] = {"role": first["role"], "content": f"{system}\n\n{first['content']}"}
        return msgs

    system_role = True

    def render() -> tuple[str, list[int]]:
        nonlocal system_role
        text = None
        if system_role:
            try:
                text = _render(render_chat, messages(True))
            except TemplateFailed:
                system_role = False  # a template that refuses system messages
        if text is None:
            text = _render(render_chat, messages(False))
        return text, _special_tokenize(tok, text)

    # A first cut without rendering: the turns' own tokens alone must fit beside the rest.
    sizes = [len(tok.tokenize(t.content)) for t in turns]
    kept, turns[:] = turns[:], []
    base = len(render()[1])
    turns[:] = kept
    dropped = 0
    while turns and base + sum(sizes) > budget:
        n = drop_oldest(turns)
        del sizes[:n]
        dropped += n
    text, tokens = render()
    while len(tokens) > budget and turns:
        dropped += drop_oldest(turns)
        text, tokens = render()
    if len(tokens) > budget and draft_text:
        draft_text = ""
        text, tokens = render()
    if len(tokens) > budget:  # the message alone is too long: keep its end
        excess = len(tokens) - budget
        room = len(tok.tokenize(message)) - excess
        message = tail_text(tok, message, room)
        text, tokens = render()
        if len(tokens) > budget:
            tokens = tokens[-budget:]
    return finish(tok, tokens, text, TEMPLATE_STOP, dropped, draft_text, templated=True)
