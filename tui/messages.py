"""Messages that cross from the generation thread to the widgets (posted, never called)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from models.engine import StreamStats


@dataclass
class ModelLoading(Message):
    """The worker started loading ``path``."""

    path: str


@dataclass
class ModelReady(Message):
    """A model is loaded and ready for requests."""

    name: str
    path: str
    quant: str
    n_ctx: int
    notices: list[str]


@dataclass
class ModelFailed(Message):
    """Loading failed; ``error`` is one clear line."""

    path: str
    error: str


@dataclass
class GenerationStarted(Message):
    request_id: int
    prompt_tokens: int
    trimmed_tokens: int


@dataclass
class GenerationChunk(Message):
    """New text for request ``request_id`` (several tokens batched, ≤ ~30 per second)."""

    request_id: int
    text: str
    tokens: int
    tokens_per_second: float


@dataclass
class GenerationFinished(Message):
    """The request ended: done, cancelled, or failed with ``error``."""

    request_id: int
    stats: StreamStats
    cancelled: bool = False
    error: str | None = None
