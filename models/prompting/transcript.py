"""Chat with a base model by transcript prompting, fitted to the model's window.

GPT-2 was never tuned for chat, so a chat is written as the script of one: a header line that
sets the scene, a few example exchanges about writing, optionally the end of the writer's draft,
then the conversation so far as ``User: …`` / ``Assistant: …`` lines, ending with
``Assistant:``. The model continues the script; generation stops at the next speaker's label.

The prompt must leave ``max_new`` tokens for the reply inside ``n_ctx_train``. When it does not
fit, the oldest turns go first, then the draft shrinks (and goes), then the examples go; the
current message always stays (only its *end* when it alone is too long).

A GGUF that carries a chat template (``tokenizer.chat_template``) is prompted through that
template instead (:mod:`models.prompting.chat_template`); :mod:`models.prompting.chat_prompt` picks
which.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from models.prompting.context import snap_to_sentence

EOT_TEXT = "<|endoftext|>"
EOT_ID = 50256
DRAFT_MAX = 300
"""The most tokens of the draft's tail a prompt carries."""
DRAFT_MIN = 24
"""A draft squeezed below this many tokens is left out altogether."""
MESSAGE_MIN = 32
"""Below this many tokens for an over-long message, the header goes too."""

USER = "User"
ASSISTANT = "Assistant"
STOP: tuple[str, ...] = (f"\n{USER}:", f"\n{ASSISTANT}:")
"""Stop strings of the transcript format: the next speaker's label."""
TEMPLATE_STOP: tuple[str, ...] = (*STOP, EOT_TEXT, "<|im_end|>", "<|im_start|>", "<|eot_id|>")
"""Stop strings for a prompt rendered with a chat template: common end-of-turn markers too."""
ZH_USER, ZH_ASSISTANT = "问", "答"
ZH_STOP: tuple[str, ...] = (f"{ZH_USER}：", f"{ZH_ASSISTANT}：")
"""The Chinese transcript's labels: a WordPiece model loses line breaks, so no newline before."""
CHAT_STOPS: tuple[str, ...] = (*TEMPLATE_STOP, *ZH_STOP)
"""Every stop string any kind of chat prompt may need (a superset of all)."""

HEADER = (
    f"A conversation between a writer ({USER}) and a helpful writing assistant "
    f"({ASSISTANT}), who answers briefly and clearly."
)
SYSTEM = (
    "You are a helpful writing assistant. You help a writer with their draft: "
    "answer briefly and clearly."
)
EXAMPLES: tuple[tuple[str, str], ...] = (
    (
        "How can I make my opening line stronger?",
        "Start in the middle of the action, or with one striking detail. "
        "Cut any warm-up sentences so the first line makes the reader curious.",
    ),
    (
        "Is it okay to use the passive voice?",
        "Sometimes. Use it when the actor is unknown or unimportant; "
        "otherwise the active voice is usually clearer and livelier.",
    ),
    (
        'What is another word for "walked"?',
        'Try "strolled", "trudged", "marched" or "wandered", depending on the mood of the scene.',
    ),
)

ZH_HEADER = "以下是一位作者和写作助手的问答。助手的回答简短、清楚。"
ZH_EXAMPLES: tuple[tuple[str, str], ...] = (
    ("怎样让开头更吸引人？", "从动作的中间开始，或者用一个鲜明的细节开头，删掉铺垫的句子。"),
    ("“走”还有什么别的说法？", "可以用“踱步”“漫步”“疾行”或“徘徊”，看场景的气氛来选。"),
)


@dataclass(frozen=True)
class ChatStyle:
    """How a transcript is written: GPT-2's English one, or a Chinese Q&A for WordPiece models."""

    user: str
    assistant: str
    colon: str
    header: str
    examples: tuple[tuple[str, str], ...]
    stop: tuple[str, ...]
    draft: str
    """The draft block, with ``{draft}`` where the draft goes."""


ENGLISH = ChatStyle(
    USER,
    ASSISTANT,
    ": ",
    HEADER,
    EXAMPLES,
    STOP,
    "[The end of the writer's draft:]\n{draft}\n[End of draft.]\n\n",
)
CHINESE = ChatStyle(
    ZH_USER,
    ZH_ASSISTANT,
    "：",
    ZH_HEADER,
    ZH_EXAMPLES,
    ZH_STOP,
    "【作者的草稿结尾】{draft}【草稿完】\n",
)


def style_for(tok: object) -> ChatStyle:
    """The Chinese Q&A for a model with a WordPiece vocabulary (UER's), else the English one."""
    return CHINESE if getattr(tok, "wordpiece", False) else ENGLISH


_WHITESPACE = re.compile(r"\s")
_TRAILING_LABEL = re.compile(rf"(?:^|\s)(?:{USER}|{ASSISTANT}):\s*$")


class _ChatInfo(Protocol):
    @property
    def chat_template(self) -> str | None: ...


class ChatTokenizer(Protocol):
    """What prompt building needs from a model (:class:`models.local.llama_model.LlamaModel`
    has it)."""

    @property
    def n_ctx_train(self) -> int: ...

    @property
    def info(self) -> _ChatInfo: ...

    def tokenize(self, text: str) -> list[int]: ...


@dataclass(frozen=True)
class Turn:
    """One message of a chat. ``stopped``: an assistant reply the writer cut short."""

    role: str  # "user" or "assistant"
    content: str
    stopped: bool = False


@dataclass(frozen=True)
class ChatPrompt:
    """A chat prompt ready to stream: ``tokens`` fit ``n_ctx_train - max_new``."""

    tokens: list[int]
    text: str
    stop: tuple[str, ...]
    dropped_turns: int
    """History messages left out because they did not fit."""
    draft_tokens: int = 0
    """Tokens of the draft's tail in the prompt (0: no draft, or it did not fit)."""
    examples: int = 0
    """Example exchanges kept (transcript format only)."""
    templated: bool = False
    """True when the model's own chat template rendered the prompt."""


def tail_text(tok: ChatTokenizer, text: str, budget: int) -> str:
    """The end of ``text`` in at most ``budget`` tokens, starting at a sentence if possible.

    Falls back to a word boundary, then to any character, so the result always fits.
    """
    if budget <= 0 or not text:
        return ""
    if len(tok.tokenize(text)) <= budget:
        return text
    # Only the last stretch can matter: a GPT-2 token rarely spans more than 16 characters.
    lo = max(0, len(text) - budget * 16)
    hi = len(text)
    while lo < hi:  # smallest start whose suffix fits
        mid = (lo + hi) // 2
        if len(tok.tokenize(text[mid:])) <= budget:
            hi = mid
        else:
            lo = mid + 1
    start = lo
    snapped = snap_to_sentence(text, start)
    if snapped != start and text[snapped:].strip():
        return text[snapped:]
    space = _WHITESPACE.search(text, start)
    if space and text[space.end() :].strip():
        return text[space.end() :].lstrip()
    return text[start:]


def clean_reply(text: str) -> str:
    """Model output as a reply: no leading space, no trailing (partial) speaker label."""
    text = text.lstrip()
    for label in (f"{USER}:", f"{ASSISTANT}:"):
        for n in range(len(label), 0, -1):  # "\nUs", "\nUser", "\nUser:" …
            if text.endswith("\n" + label[:n]):
                text = text[: -(n + 1)]
                break
    text = _TRAILING_LABEL.sub("", text)
    for marker in TEMPLATE_STOP[2:]:
        text = text.replace(marker, "")
    for label in ZH_STOP:  # a Chinese reply cut at the next label, or ending in part of one
        text = text.removesuffix(label).removesuffix(label[0])
    return text.rstrip()


# The transcript format ---------------------------------------------------------------------


def _exchange(role: str, content: str, style: ChatStyle = ENGLISH) -> str:
    label = style.user if role == "user" else style.assistant
    return f"{label}{style.colon}{content.strip()}\n"


def draft_block(draft: str, style: ChatStyle = ENGLISH) -> str:
    return style.draft.format(draft=draft.strip())


def drop_oldest(history: list[Turn]) -> int:
    """Drop the oldest turn, and any replies that would then open the history."""
    del history[0]
    n = 1
    while history and history[0].role != "user":
        del history[0]
        n += 1
    return n


def transcript_prompt(
    tok: ChatTokenizer,
    history: Sequence[Turn],
    message: str,
    draft: str | None,
    budget: int,
    style: ChatStyle = ENGLISH,
) -> ChatPrompt:
    def exchange(role: str, content: str) -> str:
        return _exchange(role, content, style)

    head = style.header + "\n\n"
    header = tok.tokenize(head)
    examples = [
        tok.tokenize(exchange("user", q) + exchange("assistant", a)) for q, a in style.examples
    ]
    gap = tok.tokenize("\n")  # closes the examples
    turns = list(history)
    turn_tokens = [tok.tokenize(exchange(t.role, t.content)) for t in turns]
    message = message.strip()
    opener_text, closer_text = (
        f"{style.user}{style.colon}",
        f"\n{style.assistant}{style.colon.strip()}",
    )
    opener = tok.tokenize(opener_text)
    closer = tok.tokenize(closer_text)
    body = tok.tokenize(message)

    draft_text = tail_text(tok, draft.strip(), DRAFT_MAX) if draft and draft.strip() else ""
    block = tok.tokenize(draft_block(draft_text, style)) if draft_text else []

    def size() -> int:
        return (
            len(header)
            + sum(map(len, examples))
            + (len(gap) if examples else 0)
            + len(block)
            + sum(map(len, turn_tokens))
            + len(opener)
            + len(body)
            + len(closer)
        )

    dropped = 0
    while size() > budget and turns:
        n = drop_oldest(turns)
        del turn_tokens[:n]
        dropped += n
    while size() > budget and block:
        excess = size() - budget
        room = len(tok.tokenize(draft_text)) - excess
        draft_text = tail_text(tok, draft_text, room) if room >= DRAFT_MIN else ""
        block = tok.tokenize(draft_block(draft_text, style)) if draft_text else []
    kept_examples = list(style.examples)
    while size() > budget and examples:
        examples.pop()
        kept_examples.pop()
    if size() > budget:  # the message alone is too long: keep its end
        room = budget - len(header) - len(opener) - len(closer)
        if room < MESSAGE_MIN:  # a tiny window: the message matters more than the header
            header = []
            room = budget - len(opener) - len(closer)
        message = tail_text(tok, message, max(0, room))
        body = tok.tokenize(message)

    text = "".join(
        [
            head if header else "",
            *(exchange("user", q) + exchange("assistant", a) for q, a in kept_examples),
            "\n" if kept_examples else "",
            draft_block(draft_text, style) if block else "",
            *(exchange(t.role, t.content) for t in turns),
            opener_text,
            message,
            closer_text,
        ]
    )
    tokens = [
        *header,
        *(t for ex in examples for t in ex),
        *(gap if examples else []),
        *block,
        *(t for tt in turn_tokens for t in tt),
        *opener,
        *body,
        *closer,
    ]
    # Tokenized in one go, the text splits at the joins as it would in the training data.
    whole = tok.tokenize(text)
    if len(whole) <= budget:
        tokens = whole
    if len(tokens) > budget:  # a window too small for even the labels: keep the end
        tokens = tokens[-budget:]
    draft_kept = draft_text if block else ""
    return finish(tok, tokens, text, style.stop, dropped, draft_kept, len(kept_examples))


def finish(
    tok: ChatTokenizer,
    tokens: list[int],
    text: str,
    stop: tuple[str, ...],
    dropped: int,
    draft_text: str,
    examples: int = 0,
    *,
    templated: bool = False,
) -> ChatPrompt:
    """The fitted prompt, with the facts the chat pane reports about it."""
    return ChatPrompt(
        tokens=tokens,
        text=text,
        stop=stop,
        dropped_turns=dropped,
        draft_tokens=len(tok.tokenize(draft_text)) if draft_text else 0,
        examples=examples,
        templated=templated,
    )
