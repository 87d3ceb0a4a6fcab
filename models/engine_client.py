"""The one engine interface the UI knows: requests in, events out.

An :class:`EngineClient` loads a model, streams continuations of prompt specs
(:mod:`models.prompts`) and cancels them. It never blocks its caller: every result arrives as an
event, delivered to a callback from the client's own thread (the UI turns events into
messages). :class:`models.local_engine.LocalEngine` runs llama.cpp in a child process; a remote
OpenAI-compatible engine implements the same interface. ``capabilities`` says what an engine
can do, so the UI can grey out the rest and say why.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from models.engine import StreamStats
from models.prompts import PromptFacts, PromptSpec
from models.sampling import SamplerSettings

_ids = itertools.count(1)


def next_request_id() -> int:
    return next(_ids)


@dataclass(frozen=True)
class Capabilities:
    """What an engine can do; ``reasons`` explains each missing feature in a few words."""

    streaming: bool = True
    cancel: bool = True
    probabilities: bool = False
    batched_alternatives: bool = False
    tokenize: bool = True
    context_length: int = 1024
    reasons: dict[str, str] = field(default_factory=dict)


@dataclass
class GenerateRequest:
    """Continue ``prompt``; events for it carry ``id``."""

    prompt: PromptSpec
    settings: SamplerSettings = field(default_factory=SamplerSettings)
    max_tokens: int = 80
    stop: Sequence[str] = ()
    id: int = field(default_factory=next_request_id)


# Events ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ModelLoading:
    path: str


@dataclass(frozen=True)
class ModelLoaded:
    name: str
    path: str
    quant: str
    n_ctx: int
    notices: tuple[str, ...] = ()
    threads: int = 0
    safe_mode: bool = False
    """Loaded without extra buffer types (AMX/repack), after a crash or by the CPU probe."""


@dataclass(frozen=True)
class ModelFailed:
    path: str
    error: str


@dataclass(frozen=True)
class Started:
    request_id: int
    facts: PromptFacts


@dataclass(frozen=True)
class Chunk:
    """New text (several tokens batched at the engine's flush rate)."""

    request_id: int
    text: str
    tokens: int
    tokens_per_second: float


@dataclass(frozen=True)
class Finished:
    """The request ended: done, cancelled, or failed with ``error`` (one plain line)."""

    request_id: int
    stats: StreamStats
    cancelled: bool = False
    error: str | None = None


@dataclass(frozen=True)
class EngineCrashed:
    """The engine process died. ``restarting``: a safe-mode engine is on its way."""

    cause: str
    """e.g. "SIGSEGV" or "exit code 1"."""
    during: str
    """"loading", "generating" or "idle"."""
    restarting: bool
    advice: str = ""

    @property
    def message(self) -> str:
        text = f"The engine crashed ({self.cause}) while {self.during}. Your text is safe."
        if self.restarting:
            return text + " Restarting it in safe mode (no CPU repacking, fewer threads)…"
        return f"{text} {self.advice}".rstrip()


ModelEvent = ModelLoading | ModelLoaded | ModelFailed | EngineCrashed
RequestEvent = Started | Chunk | Finished
EngineEvent = ModelEvent | RequestEvent
Sink = Callable[[EngineEvent], None]


class EngineClient(Protocol):
    """What the UI may ask of an engine; every method returns at once."""

    capabilities: Capabilities

    @property
    def busy(self) -> bool:
        """A request is running or queued."""
        ...

    @property
    def ready(self) -> bool:
        """A model is loaded and requests will be served."""
        ...

    def load(self, path: Path, *, gpu_layers: int | str | None, threads: int | None) -> None:
        """Load ``path``; model events go to the client's status sink."""
        ...

    def submit(self, request: GenerateRequest, sink: Sink, *, exclusive: bool = True) -> int:
        """Queue ``request`` (exclusive: cancel every request still open first)."""
        ...

    def count_tokens(self, text: str, reply: Callable[[int | None], None]) -> None:
        """Count ``text``'s tokens; ``reply`` gets the number (None: the engine is gone)."""
        ...

    def cancel(self, request_ids: Sequence[int] | None = None) -> None:
        """Stop these requests (None: all) within one token; each still gets ``Finished``."""
        ...

    def set_flush_interval(self, seconds: float) -> None:
        """How often streamed text is delivered (the UI sets it from its redraw cost)."""
        ...

    def writer_active(self) -> None:
        """The writer is typing: an engine sharing their CPU may yield some of it."""
        ...

    def close(self) -> None:
        """End the engine now; never waits long."""
        ...

    def kill(self) -> None:
        """End the engine at once without waiting (the app is going away: a hang-up)."""
        ...
