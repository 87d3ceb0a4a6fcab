"""Engine events as Textual messages, posted (never called) to the widget that asked.

The engine client calls its callbacks from its own reader thread; :func:`deliver` turns each
event into a message and posts it, which is the only thing that crosses back to the UI thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from textual.message import Message
from textual.message_pump import MessagePump

from models import engine_client as ev
from models.prompting.prompts import PromptFacts
from models.stats import StreamStats
from models.token_probs import TokenInfo


@dataclass
class ModelLoading(Message):
    """The engine started loading ``path``."""

    path: str


@dataclass
class ModelReady(Message):
    """A model is loaded and ready for requests."""

    name: str
    path: str
    quant: str
    n_ctx: int
    notices: list[str]
    safe_mode: bool = False


@dataclass
class ModelFailed(Message):
    """Loading failed; ``error`` is one clear line."""

    path: str
    error: str


@dataclass
class EngineCrashed(Message):
    """The engine process died; ``event.message`` says why and what happens next."""

    event: ev.EngineCrashed


@dataclass
class GenerationStarted(Message):
    request_id: int
    prompt_tokens: int
    trimmed_tokens: int
    facts: PromptFacts = field(default_factory=PromptFacts)


@dataclass
class GenerationChunk(Message):
    """New text for request ``request_id`` (several tokens batched by the engine)."""

    request_id: int
    text: str
    tokens: int
    tokens_per_second: float
    seq: int = 0
    """Which of the request's continuations (``GenerateRequest.n``) the text belongs to."""
    token_info: tuple[TokenInfo, ...] = ()
    """Each token's probability, rank and alternatives, when the request asked for them."""


@dataclass
class TextScored(Message):
    """The answer to ``EngineClient.score``: every token of the text with its figures."""

    scored: ev.Scored


@dataclass
class GenerationFinished(Message):
    """The request ended: done, cancelled, or failed with ``error``."""

    request_id: int
    stats: StreamStats
    cancelled: bool = False
    error: str | None = None
    sequences: tuple[StreamStats, ...] = ()
    """Each continuation's own stats, for a request of several (``stopped_by`` "error": that
    one failed)."""
    notice: str | None = None
    """To tell the writer once (how a server served the request)."""


def as_message(event: ev.EngineEvent) -> Message:
    if isinstance(event, ev.Chunk):
        return GenerationChunk(
            event.request_id,
            event.text,
            event.tokens,
            event.tokens_per_second,
            event.seq,
            event.token_info,
        )
    if isinstance(event, ev.Scored):
        return TextScored(event)
    if isinstance(event, ev.Started):
        facts = event.facts
        return GenerationStarted(event.request_id, facts.prompt_tokens, facts.trimmed_tokens, facts)
    if isinstance(event, ev.Finished):
        return GenerationFinished(
            event.request_id,
            event.stats,
            event.cancelled,
            event.error,
            event.sequences,
            event.notice,
        )
    if isinstance(event, ev.ModelLoaded):
        return ModelReady(
            event.name, event.path, event.quant, event.n_ctx, list(event.notices), event.safe_mode
        )
    if isinstance(event, ev.ModelLoading):
        return ModelLoading(event.path)
    if isinstance(event, ev.ModelFailed):
        return ModelFailed(event.path, event.error)
    return EngineCrashed(event)


def deliver(target: MessagePump) -> ev.Sink:
    """A callback for the engine client that posts each event to ``target`` as a message."""

    def sink(event: ev.EngineEvent) -> None:
        target.post_message(as_message(event))

    return sink
