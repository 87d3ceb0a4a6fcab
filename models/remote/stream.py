"""One request's continuations as they stream: text through the stop filter, token figures.

A :class:`RemoteRequest` is what the UI asked for under one request id: ``n`` continuations
(``seq`` 0…n-1), each a :class:`ChoiceStream`, however many HTTP streams carry them
(:mod:`models.remote.requests`). It sends one ``Started``, each continuation's ``Chunk`` s
(``seq``, and ``token_info`` when figures were asked for) and, once every continuation has
ended, one ``Finished`` with each one's stats in ``sequences`` (as the local engine does for a
request that is not plain).

Text is held back only while it may still become a stop string (as
:meth:`models.local.engine.Engine.stream` does), and goes to the sink at the client's flush
interval.
With token figures, text goes out a whole token at a time, so a chunk's tokens spell its text:
each token covers the received text from where the one before it ended; a token a stop string
begins in is cut there, as locally.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from models.engine_client import Chunk, Finished, GenerateRequest, Sink, Started
from models.prompting.prompts import PromptFacts
from models.remote.events import KEPT, Delta
from models.stats import StreamStats
from models.token_probs import TokenInfo


@dataclass(eq=False)
class ChoiceStream:
    """Continuation ``seq`` of ``owner``; every method runs on the engine's loop thread."""

    owner: RemoteRequest
    seq: int
    stops: Sequence[str]
    want_probs: bool = False
    top: int = 0
    """Alternatives kept per token (a server may be asked for more, for exact ranks)."""
    tokens: int = 0
    finished: bool = False
    finish_reason: str | None = None
    stop_reason: object = None
    text: str = ""
    """Everything received (GPT-2 continuations are short)."""
    sent: int = 0
    """Characters of ``text`` delivered."""
    cut: int | None = None
    """Where a stop string begins in ``text``."""
    infos: list[tuple[TokenInfo, int]] = field(default_factory=list)
    """Tokens not yet delivered, each with where it ends in ``text``."""
    token_end: int = 0
    """Where the last delivered token ends (the next one starts there)."""
    last_flush: float = 0.0
    stats: StreamStats = field(default_factory=StreamStats)
    error: str | None = None
    cancelled: bool = False

    @property
    def hold(self) -> int:
        return max((len(s) for s in self.stops if s), default=1) - 1

    def add(self, delta: Delta, flush_interval: float) -> bool:
        """Take one event's text; True when a stop string ended this continuation."""
        if self.finished:
            return False
        if delta.text or delta.tokens:
            self.tokens += max(1, len(delta.tokens))
        if delta.finish_reason:
            self.finish_reason = delta.finish_reason
            self.stop_reason = delta.stop_reason
        if self.want_probs and delta.tokens:
            self._place(delta)
        start = len(self.text)
        self.text += delta.text
        stops = [s for s in self.stops if s]
        if delta.text and stops:
            since = max(self.sent, start - self.hold)
            found = (self.text.find(s, since) for s in stops)
            hit = min((i for i in found if i >= 0), default=-1)
            if hit >= 0:
                self.cut = hit
                return True
        now = time.monotonic()
        if now - self.last_flush >= flush_interval:
            self.flush(now)
        return False

    def _place(self, delta: Delta) -> None:
        """Where each of the event's tokens ends: by its text's length, the last at the end of
        the event's text (so a server's odd token texts never drift into the next event's)."""
        pos = start = len(self.text)
        end = start + len(delta.text)
        last = len(delta.tokens) - 1
        for k, info in enumerate(delta.tokens):
            pos = end if k == last else min(end, pos + len(info.text))
            if len(info.top) > self.top:
                info = replace(info, top=info.top[: self.top])
            self.infos.append((info, pos))

    def _ready(self) -> int:
        """How far the text may go out now: short of a possible stop string's start and, with
        token figures, at the end of a whole token."""
        end = len(self.text)
        if any(self.stops):
            end -= self.hold
        if self.want_probs:
            bound = self.sent
            for _, token_end in self.infos:
                if token_end > end:
                    break
                bound = token_end
            end = bound
        return max(self.sent, end)

    def flush(
        self, now: float | None = None, end: int | None = None, *, last: bool = False
    ) -> None:
        """Deliver the text up to ``end`` (None: what is ready) with its tokens; ``last``: this
        continuation's final text, which takes every token that begins before ``end``."""
        now = time.monotonic() if now is None else now
        self.last_flush = now
        end = self._ready() if end is None else end
        tokens: list[TokenInfo] = []
        while self.infos:
            info, token_end = self.infos[0]
            if token_end > end and not (last and self.token_end < end):
                break
            self.infos.pop(0)
            token_end = min(token_end, end)
            tokens.append(replace(info, text=self.text[self.token_end : token_end]))
            self.token_end = token_end
        if last and tokens and self.token_end < end:  # text no token claimed: the last one's
            tokens[-1] = replace(tokens[-1], text=tokens[-1].text + self.text[self.token_end : end])
            self.token_end = end
        text, self.sent = self.text[self.sent : end], max(self.sent, end)
        if not text and not tokens:
            return
        self.owner.sink(
            Chunk(
                self.owner.id,
                text,
                self.tokens,
                self.owner.rate(now),
                seq=self.seq,
                token_info=tuple(tokens),
            )
        )

    def finish(
        self,
        stopped_by: str,
        *,
        cancelled: bool = False,
        error: str | None = None,
        tokens: int | None = None,
    ) -> None:
        """Deliver what is left (a cancel drops held-back text, as locally) and end (once)."""
        if self.finished:
            return
        self.finished = True
        if cancelled:
            self.flush()
        else:
            self.flush(end=self.cut if self.cut is not None else len(self.text), last=True)
        self.infos.clear()
        if tokens is not None:
            self.tokens = tokens
        if error and self.tokens and "kept" not in error:
            error += KEPT
        facts = self.owner.facts
        self.stats = StreamStats(
            prompt_tokens=facts.prompt_tokens,
            trimmed_tokens=facts.trimmed_tokens,
            generated_tokens=self.tokens,
            seconds=time.monotonic() - self.owner.started,
            stopped_by=stopped_by,
        )
        self.error, self.cancelled = error, cancelled
        self.owner.choice_done()

    def stopped_by(self) -> str:
        """Why the server ended this continuation, in the local engine's words."""
        if self.finish_reason == "length":
            return "length"
        if self.finish_reason == "stop":
            if isinstance(self.stop_reason, str) or (self.stop_reason is None and any(self.stops)):
                return "stop"
            return "eot"
        return self.finish_reason or ""


@dataclass(eq=False)
class RemoteRequest:
    """One request id: its ``n`` continuations, one ``Started``, one ``Finished``."""

    request: GenerateRequest
    sink: Sink
    choices: list[ChoiceStream] = field(default_factory=list)
    facts: PromptFacts = field(default_factory=PromptFacts)
    started: float = field(default_factory=time.monotonic)
    task: asyncio.Task[None] | None = None
    cancel_requested: bool = False
    done: bool = False
    notice: str | None = None
    """Said once when the request finishes (how the server's limits changed the plan)."""

    def __post_init__(self) -> None:
        stops = tuple(s for s in self.request.stop if s)
        top = max(0, self.request.probabilities)
        count = max(1, self.request.n)
        self.choices = [ChoiceStream(self, seq, stops, top > 0, top) for seq in range(count)]

    @property
    def id(self) -> int:
        return self.request.id

    @property
    def live(self) -> list[ChoiceStream]:
        return [c for c in self.choices if not c.finished]

    def start(self, facts: PromptFacts) -> None:
        self.facts, self.started = facts, time.monotonic()
        self.sink(Started(self.id, facts))

    def rate(self, now: float) -> float:
        """Tokens a second, all continuations together (as the local engine reports)."""
        elapsed = now - self.started
        return sum(c.tokens for c in self.choices) / elapsed if elapsed > 0 else 0.0

    def finish_all(self, *, cancelled: bool = False, error: str | None = None) -> None:
        for choice in self.live:
            choice.finish("cancel" if cancelled else "error", cancelled=cancelled, error=error)

    def choice_done(self) -> None:
        """A continuation ended: when the last one has, the request finishes."""
        if self.done or self.live:
            return
        self.done = True
        errors = [c.error for c in self.choices if c.error]
        if errors:
            stopped_by = "error"
        elif any(c.cancelled for c in self.choices):
            stopped_by = "cancel"
        else:
            stopped_by = self.choices[0].stats.stopped_by
        error = errors[0] if errors else None
        if error and len(errors) < len(self.choices):
            error += f" ({len(errors)} of {len(self.choices)} continuations failed.)"
        stats = StreamStats(
            prompt_tokens=self.facts.prompt_tokens,
            trimmed_tokens=self.facts.trimmed_tokens,
            generated_tokens=sum(c.stats.generated_tokens for c in self.choices),
            seconds=time.monotonic() - self.started,
            stopped_by=stopped_by,
        )
        sequences = () if self.request.plain else tuple(c.stats for c in self.choices)
        self.sink(
            Finished(
                self.id,
                stats,
                cancelled=stopped_by == "cancel",
                error=error,
                sequences=sequences,
                notice=self.notice,
            )
        )


def task_done(request: RemoteRequest, task: asyncio.Task[None]) -> None:
    """A request's task ended: whatever it left open finishes now."""
    if task.cancelled():
        request.finish_all(cancelled=True)
    elif task.exception() is not None:
        request.finish_all(error=f"unexpected error: {task.exception()}")
