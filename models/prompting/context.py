"""Fit a story into the model's window: memory, the story's tail, and an author's note.

Recipe for 1024 tokens: memory ≤ 150 tokens first, then the story's tail cut at a sentence
boundary, with the author's note placed ~80 tokens before the end, and room left for the
continuation. The cut moves in large fixed steps, so successive continuations share the prompt's
head and llama.cpp re-evaluates only the new tail (KV-cache reuse).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

MEMORY_MAX = 150
NOTE_MAX = 40
NOTE_DEPTH = 80
STEP_CHARS = 1500
_BOUNDARY = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+|\n+")


class Tokenizer(Protocol):
    @property
    def n_ctx_train(self) -> int: ...

    def tokenize(self, text: str) -> list[int]: ...


@dataclass(frozen=True)
class StoryPrompt:
    tokens: list[int]
    hidden_chars: int
    """Characters at the start of the document the model cannot see."""
    story_tokens: int
    window: int
    memory_cut: int = 0
    """Tokens of the memory left out (it keeps its first MEMORY_MAX)."""
    note_cut: int = 0
    """Tokens of the author's note left out (it keeps its first NOTE_MAX)."""

    @property
    def used(self) -> int:
        return len(self.tokens)


def snap_to_sentence(text: str, pos: int) -> int:
    """The first sentence (or line) start at or after ``pos``."""
    if pos <= 0:
        return 0
    match = _BOUNDARY.search(text, pos)
    return match.end() if match else pos


def _head(tokens: list[int], limit: int) -> list[int]:
    return tokens[:limit]


def fit_story(
    tok: Tokenizer,
    text: str,
    *,
    memory: str = "",
    note: str = "",
    max_new: int = 80,
) -> StoryPrompt:
    """Tokens of memory + the story's tail (+ note) leaving ``max_new`` for the continuation."""
    window = tok.n_ctx_train
    max_new = max(1, min(max_new, window // 2))
    whole_mem = tok.tokenize(memory.strip() + "\n\n") if memory.strip() else []
    whole_note = tok.tokenize(f"\n[Author's note: {note.strip()}]\n") if note.strip() else []
    mem, note_tokens = _head(whole_mem, MEMORY_MAX), _head(whole_note, NOTE_MAX)
    budget = max(1, window - max_new - len(mem) - len(note_tokens))

    # Start near where the budget is likely to fall (≈4 chars a token, with slack), then step.
    # (A step never starts past the text: dense text, like Chinese in GPT-2's vocabulary, has
    # far more tokens per character than the estimate, and stepping past it would keep nothing.)
    last_step = max(0, (len(text) - 1) // STEP_CHARS)
    step = min(last_step, max(0, len(text) - budget * 6) // STEP_CHARS)
    while True:
        cut = snap_to_sentence(text, step * STEP_CHARS)
        story = tok.tokenize(text[cut:])
        if len(story) <= budget:
            break
        if cut >= len(text) - 1 or step >= last_step:
            story = story[-budget:]  # one enormous sentence, or no step left: keep its end
            break
        excess_chars = (len(story) - budget) * 2
        step = min(last_step, step + max(1, excess_chars // STEP_CHARS))
    if note_tokens and len(story) > NOTE_DEPTH:
        story = story[:-NOTE_DEPTH] + note_tokens + story[-NOTE_DEPTH:]
    elif note_tokens:
        story = note_tokens + story
    tokens = mem + story
    return StoryPrompt(
        tokens=tokens,
        hidden_chars=cut,
        story_tokens=len(story),
        window=window,
        memory_cut=len(whole_mem) - len(mem),
        note_cut=len(whole_note) - len(note_tokens),
    )
