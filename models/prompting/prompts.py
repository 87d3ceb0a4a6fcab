"""What to continue, as plain data, and how it becomes tokens that fit the window.

A prompt travels from the UI to an engine as a *spec* (the story before the cursor, a chat,
plain text) rather than as a closure, so it can cross a process boundary or a network. The
engine builds it with its own tokenizer (:func:`build`) and sends the facts of the result
(tokens used, tokens cut, characters the model cannot see) back with the "started" event.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from models.prompting.chat_prompt import build_chat_prompt
from models.prompting.context import fit_story
from models.prompting.transcript import ChatTokenizer, Turn


@dataclass(frozen=True)
class StorySpec:
    """Continue ``text`` (the document before the cursor) with memory and author's note."""

    text: str
    memory: str = ""
    note: str = ""
    kind: str = "story"


@dataclass(frozen=True)
class ChatSpec:
    """The assistant's reply to ``message`` after ``history`` (and the draft's tail)."""

    history: tuple[Turn, ...]
    message: str
    draft: str | None = None
    kind: str = "chat"


@dataclass(frozen=True)
class TextSpec:
    """Continue ``text`` as it is (its oldest tokens go if it is too long)."""

    text: str = ""
    tokens: tuple[int, ...] | None = None
    kind: str = "text"


PromptSpec = StorySpec | ChatSpec | TextSpec


@dataclass(frozen=True)
class PromptFacts:
    """What the model was given: shown in the status bar and kept by the chat."""

    prompt_tokens: int = 0
    trimmed_tokens: int = 0
    """Tokens cut from the front of the prompt to fit the window."""
    hidden_chars: int = 0
    """Characters at the start of the document the model cannot see."""
    dropped_turns: int = 0
    draft_tokens: int = 0
    memory_cut: int = 0
    """Tokens of the memory that did not fit its share of the window."""
    note_cut: int = 0
    """Tokens of the author's note that did not fit its share."""


@dataclass(frozen=True)
class BuiltPrompt:
    tokens: list[int]
    facts: PromptFacts = field(default_factory=PromptFacts)


def build(spec: PromptSpec, tok: ChatTokenizer, max_new: int) -> BuiltPrompt:
    """Tokens for ``spec`` that leave room for ``max_new`` new tokens, and their facts."""
    if isinstance(spec, StorySpec):
        story = fit_story(tok, spec.text, memory=spec.memory, note=spec.note, max_new=max_new)
        return BuiltPrompt(
            story.tokens,
            PromptFacts(
                prompt_tokens=story.used,
                hidden_chars=story.hidden_chars,
                memory_cut=story.memory_cut,
                note_cut=story.note_cut,
            ),
        )
    if isinstance(spec, ChatSpec):
        chat = build_chat_prompt(
            tok, list(spec.history), spec.message, draft=spec.draft, max_new=max_new
        )
        return BuiltPrompt(
            chat.tokens,
            PromptFacts(
                prompt_tokens=len(chat.tokens),
                dropped_turns=chat.dropped_turns,
                draft_tokens=chat.draft_tokens,
            ),
        )
    tokens = list(spec.tokens) if spec.tokens is not None else tok.tokenize(spec.text)
    return BuiltPrompt(tokens, PromptFacts(prompt_tokens=len(tokens)))


def to_wire(spec: PromptSpec) -> dict[str, Any]:
    """A JSON-ready dict for the engine protocol."""
    return asdict(spec)


def from_wire(data: dict[str, Any]) -> PromptSpec:
    kind = data.get("kind")
    if kind == "story":
        return StorySpec(data["text"], data.get("memory", ""), data.get("note", ""))
    if kind == "chat":
        history = tuple(Turn(**t) for t in data.get("history", ()))
        return ChatSpec(history, data["message"], data.get("draft"))
    if kind == "text":
        tokens = data.get("tokens")
        return TextSpec(data.get("text", ""), tuple(tokens) if tokens is not None else None)
    raise ValueError(f"unknown prompt kind {kind!r}")
