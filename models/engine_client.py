"""The one engine interface the UI knows: requests in, events out.

An :class:`EngineClient` loads a model, streams continuations of prompt specs
(:mod:`models.prompting.prompts`) and cancels them. It never blocks its caller: every result
arrives as an
event, delivered to a callback from the client's own thread (the UI turns events into
messages). :class:`models.local.client.LocalEngine` runs llama.cpp in a child process; a remote
OpenAI-compatible engine implements the same interface. ``capabilities`` says what an engine
can do, so the UI can grey out the rest and say why.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from models.prompting.prompts import PromptFacts, PromptSpec
from models.sampling import SamplerSettings
from models.stats import StreamStats
from models.token_probs import TokenInfo

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
    n: int = field(default=1, kw_only=True)
    """Continuations generated together in one batch (``max_tokens`` each); chunks carry
    ``seq`` 0…n-1. Sequence i samples with seed ``settings.seed + i``."""
    bans: tuple[str, ...] = field(default=(), kw_only=True)
    """Phrases the text must never contain (matched case-sensitively, :mod:`models.local.bans`)."""
    probabilities: int = field(default=0, kw_only=True)
    """> 0: chunks carry each token's :class:`TokenInfo` with this many alternatives."""
    line_form: str = field(default="prose", kw_only=True)
    """"verse": poems and lyrics, whose line breaks a WordPiece (Chinese) model never saw are
    mapped to what it was trained with and restored in its output (:mod:`models.prompting.cjk`)."""

    @property
    def plain(self) -> bool:
        """Nothing beyond text asked for (the engine's plain streaming path)."""
        return self.n == 1 and not self.bans and self.probabilities <= 0

    def extras(self) -> dict[str, Any]:
        """The wire fields beyond a plain request's (none for a plain one)."""
        form = {"line_form": self.line_form} if self.line_form != "prose" else {}
        if self.plain:
            return form
        return {"n": self.n, "bans": list(self.bans), "probabilities": self.probabilities} | form


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
    seq: int = field(default=0, kw_only=True)
    """Which of the request's ``n`` continuations the text belongs to."""
    token_info: tuple[TokenInfo, ...] = field(default=(), kw_only=True)
    """With ``probabilities``: the tokens of ``text`` (their texts join to it), in order."""


@dataclass(frozen=True)
class Finished:
    """The request ended: done, cancelled, or failed with ``error`` (one plain line)."""

    request_id: int
    stats: StreamStats
    cancelled: bool = False
    error: str | None = None
    sequences: tuple[StreamStats, ...] = field(default=(), kw_only=True)
    """Each continuation's own stats (``stopped_by``: eot, length, stop, ban, cancel) when the
    request was not plain; ``stats`` counts them all."""
    notice: str | None = field(default=None, kw_only=True)
    """Something to tell the writer once about how the request was served (a server that
    could not write its alternatives at once wrote them one after another)."""


@dataclass(frozen=True)
class Scored:
    """The answer to :meth:`EngineClient.score`: the text's tokens with their figures, the
    first after an end-of-text token. Their texts join to the text (GPT-2 vocabularies)."""

    request_id: int
    tokens: tuple[TokenInfo, ...] = ()
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


def request_event(message: dict[str, Any]) -> Started | Chunk | Finished:
    """A request's event from its wire form (the engine process's JSON frame)."""
    request_id = int(message["id"])
    event = message["event"]
    if event == "started":
        return Started(request_id, PromptFacts(**message.get("facts", {})))
    if event == "chunk":
        info = tuple(TokenInfo.from_wire(t) for t in message.get("info", ()))
        tps = float(message["tps"])
        seq = int(message.get("seq", 0))
        count = int(message["tokens"])
        return Chunk(request_id, message["text"], count, tps, seq=seq, token_info=info)
    return Finished(
        request_id,
        StreamStats(**message.get("stats", {})),
        cancelled=bool(message.get("cancelled")),
        error=message.get("error"),
        sequences=tuple(StreamStats(**s) for s in message.get("sequences", ())),
        notice=message.get("notice"),
    )


def scored_event(message: dict[str, Any]) -> Scored:
    """The answer to a ``score`` request from its wire form."""
    tokens = tuple(TokenInfo.from_wire(t) for t in message.get("tokens", ()))
    error = message.get("error")
    return Scored(int(message["id"]), tokens, bool(message.get("cancelled")), error)


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

    def load(self, path: Path | str, *, gpu_layers: int | str | None, threads: int | None) -> None:
        """Load ``path`` (a remote engine: the server's model of that name, "" its default);
        model events go to the client's status sink."""
        ...

    def submit(self, request: GenerateRequest, sink: Sink, *, exclusive: bool = True) -> int:
        """Queue ``request`` (exclusive: cancel every request still open first)."""
        ...

    def count_tokens(self, text: str, reply: Callable[[int | None], None]) -> None:
        """Count ``text``'s tokens; ``reply`` gets the number (None: the engine is gone)."""
        ...

    def score(self, text: str, reply: Callable[[Scored], None], *, top: int = 10) -> int:
        """Score ``text`` token by token (``capabilities.probabilities``); ``reply`` gets one
        :class:`Scored`, from the client's thread. Returns its id, for :meth:`cancel`."""
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
