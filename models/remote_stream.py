"""One streamed completion: its prompt, its events, its text through the stop filter.

A :class:`Job` is one HTTP stream asking for one choice or for ``n`` of them; each choice is a
:class:`ChoiceStream` with its own request id. :func:`build_prompt` makes the prompt text from
the request's spec as the local engine would; :func:`consume` reads the server-sent events
(:func:`read_event` checks each one, or raises :class:`RemoteError` with a plain message).
Text is held back only while it may still become a stop string (as
:meth:`models.engine.Engine.stream` does), and goes to the sink at the client's flush interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
from httpx_sse import EventSource

from models.engine import StreamStats
from models.engine_client import Chunk, Finished, GenerateRequest, Sink
from models.prompts import PromptFacts, TextSpec, build
from models.remote_errors import RemoteError, server_message
from models.remote_http import read_body
from models.remote_profiles import TokenProb, parse_logprobs
from models.remote_tokens import ApproxTokenizer, ServerTokenizer

KEPT = " The text received so far is kept."
EOT_TEXT = "<|endoftext|>"
"""The prompt when there is nothing to continue (the local engine starts from this token)."""


@dataclass(frozen=True)
class ProbChunk(Chunk):
    """A :class:`Chunk` with the probabilities of the tokens it carries (requests that ask)."""

    probs: tuple[TokenProb, ...] = ()


@dataclass(frozen=True)
class Delta:
    """What one event says about one choice."""

    index: int
    text: str
    probs: tuple[TokenProb, ...] = ()
    finish_reason: str | None = None
    stop_reason: object = None


@dataclass(frozen=True)
class Event:
    done: bool = False
    """The ``[DONE]`` sentinel."""
    deltas: tuple[Delta, ...] = ()
    completion_tokens: int | None = None


def _malformed(detail: str, received: int) -> RemoteError:
    return RemoteError(f"The server sent a malformed stream ({detail}).{KEPT * bool(received)}")


def read_event(data: str, event_name: str, received: int) -> Event:
    """Parse one SSE event of a streamed ``/v1/completions`` answer."""
    stripped = data.strip()
    if stripped == "[DONE]":
        return Event(done=True)
    if not stripped:
        return Event()
    if event_name == "error":
        said = server_message(data) or "no details"
        raise RemoteError(
            f"The server reported an error mid-stream: {said}.{KEPT * bool(received)}"
        )
    try:
        payload: Any = json.loads(stripped)
    except ValueError:
        shown = stripped if len(stripped) <= 40 else stripped[:40] + "…"
        raise _malformed(f"an event that is not JSON: {shown!r}", received) from None
    if not isinstance(payload, dict):
        raise _malformed("an event that is not a JSON object", received)
    if "error" in payload:
        said = server_message(stripped) or "no details"
        raise RemoteError(
            f"The server reported an error mid-stream: {said}.{KEPT * bool(received)}"
        )
    choices = payload.get("choices")
    if not isinstance(choices, list):
        raise _malformed("an event without choices", received)
    deltas: list[Delta] = []
    for raw in choices:
        if not isinstance(raw, dict):
            raise _malformed("a choice that is not a JSON object", received)
        index = raw.get("index", 0)
        text = raw.get("text", "")
        if text is None:
            text = ""
        if "delta" in raw and "text" not in raw:
            raise _malformed("a chat completion: quillpen needs the completions API", received)
        if not isinstance(index, int) or not isinstance(text, str):
            raise _malformed("a choice without text", received)
        reason = raw.get("finish_reason")
        deltas.append(
            Delta(
                index,
                text,
                parse_logprobs(raw.get("logprobs")),
                reason if isinstance(reason, str) else None,
                raw.get("stop_reason"),
            )
        )
    usage = payload.get("usage")
    completion = usage.get("completion_tokens") if isinstance(usage, dict) else None
    return Event(
        deltas=tuple(deltas),
        completion_tokens=completion if isinstance(completion, int) else None,
    )


@dataclass
class ChoiceStream:
    """One request id's text as it streams; every method runs on the engine's loop thread."""

    request_id: int
    sink: Sink
    stops: Sequence[str]
    want_probs: bool = False
    facts: PromptFacts = field(default_factory=PromptFacts)
    started: float = field(default_factory=time.monotonic)
    tokens: int = 0
    finished: bool = False
    finish_reason: str | None = None
    stop_reason: object = None
    pending: str = ""
    buffer: list[str] = field(default_factory=list)
    probs: list[TokenProb] = field(default_factory=list)
    last_flush: float = 0.0

    @property
    def hold(self) -> int:
        return max((len(s) for s in self.stops if s), default=1) - 1

    def add(self, delta: Delta, flush_interval: float) -> bool:
        """Take one event's text; True when a stop string ended this choice."""
        if self.finished:
            return False
        if delta.text or delta.probs:
            self.tokens += max(1, len(delta.probs))
        self.probs.extend(delta.probs)
        if delta.finish_reason:
            self.finish_reason = delta.finish_reason
            self.stop_reason = delta.stop_reason
        if delta.text:
            self.pending += delta.text
            stops = [s for s in self.stops if s]
            hit = min((i for s in stops if (i := self.pending.find(s)) >= 0), default=-1)
            if hit >= 0:
                self.buffer.append(self.pending[:hit])
                self.pending = ""
                return True
            safe = len(self.pending) - self.hold if stops else len(self.pending)
            if safe > 0:
                self.buffer.append(self.pending[:safe])
                self.pending = self.pending[safe:]
        now = time.monotonic()
        if now - self.last_flush >= flush_interval:
            self.flush(now)
        return False

    def flush(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self.last_flush = now
        text = "".join(self.buffer)
        if not text and not self.probs:
            return
        self.buffer.clear()
        elapsed = now - self.started
        tps = self.tokens / elapsed if elapsed > 0 else 0.0
        if self.want_probs:
            probs, self.probs = tuple(self.probs), []
            self.sink(ProbChunk(self.request_id, text, self.tokens, tps, probs))
        else:
            self.probs.clear()
            self.sink(Chunk(self.request_id, text, self.tokens, tps))

    def finish(
        self,
        stopped_by: str,
        *,
        cancelled: bool = False,
        error: str | None = None,
        tokens: int | None = None,
    ) -> None:
        """Deliver what is left and ``Finished`` (once)."""
        if self.finished:
            return
        self.finished = True
        if not cancelled:  # held-back text is the model's too (a cancel drops it, as locally)
            self.buffer.append(self.pending)
        self.pending = ""
        self.flush()
        if tokens is not None:
            self.tokens = tokens
        if error and self.tokens and "kept" not in error:
            error += KEPT
        stats = StreamStats(
            prompt_tokens=self.facts.prompt_tokens,
            trimmed_tokens=self.facts.trimmed_tokens,
            generated_tokens=self.tokens,
            seconds=time.monotonic() - self.started,
            stopped_by=stopped_by,
        )
        self.sink(Finished(self.request_id, stats, cancelled=cancelled, error=error))

    def stopped_by(self) -> str:
        """Why the server ended this choice, in the local engine's words."""
        if self.finish_reason == "length":
            return "length"
        if self.finish_reason == "stop":
            if isinstance(self.stop_reason, str) or (self.stop_reason is None and any(self.stops)):
                return "stop"
            return "eot"
        return self.finish_reason or ""


@dataclass(eq=False)
class Job:
    """One HTTP stream: one request id, or ``n`` of them (alternatives in one request)."""

    request: GenerateRequest
    choices: list[ChoiceStream]
    task: asyncio.Task[None] | None = None
    cancel_requested: bool = False

    @property
    def live(self) -> list[ChoiceStream]:
        return [c for c in self.choices if not c.finished]

    @property
    def received(self) -> int:
        return max((c.tokens for c in self.choices), default=0)


def finish_all(job: Job, *, cancelled: bool = False, error: str | None = None) -> None:
    for choice in job.live:
        choice.finish("cancel" if cancelled else "error", cancelled=cancelled, error=error)


def job_done(job: Job, task: asyncio.Task[None]) -> None:
    """A job's task ended: whatever it left open finishes now."""
    if task.cancelled():
        finish_all(job, cancelled=True)
    elif task.exception() is not None:
        finish_all(job, error=f"unexpected error: {task.exception()}")


def build_prompt(
    tok: ServerTokenizer | ApproxTokenizer, request: GenerateRequest, host: str
) -> tuple[str, PromptFacts, int]:
    """The prompt text, its facts and the tokens allowed (blocking: a worker thread's job)."""
    spec, max_new = request.prompt, request.max_tokens
    if isinstance(spec, TextSpec) and spec.tokens is not None and not tok.exact:
        raise RemoteError(
            f"{host} has no tokenize endpoint, so a prompt given as tokens cannot be sent."
        )
    built = build(spec, tok, max_new)
    window = tok.n_ctx_train  # as the local engine fits: keep the end, leave room
    max_tokens = max(1, min(max_new, window - 1))
    cut = max(0, len(built.tokens) - (window - max_tokens))
    tokens = built.tokens[cut:]
    facts = replace(
        built.facts,
        prompt_tokens=len(tokens),
        trimmed_tokens=built.facts.trimmed_tokens + cut,
    )
    return tok.detokenize(tokens) or EOT_TEXT, facts, max_tokens


async def consume(
    job: Job,
    response: httpx.Response,
    source: EventSource,
    *,
    max_tokens: int,
    flush_interval: Callable[[], float],
    url: str,
    host: str,
) -> None:
    """Read a completions answer into ``job``'s choices and finish each of them."""
    kind = response.headers.get("content-type", "").partition(";")[0].strip().lower()
    done = False
    usage: int | None = None
    if kind == "text/event-stream":
        async with contextlib.aclosing(source.aiter_sse()) as events:
            async for sse in events:
                event = read_event(sse.data, sse.event, job.received)
                if event.completion_tokens is not None:
                    usage = event.completion_tokens
                if event.done:
                    done = True
                    break
                _take(job, event.deltas, flush_interval())
                if not job.live:
                    return  # every choice ended here (stop strings, cancels): hang up
    elif kind == "application/json":  # a server that does not stream
        event = read_event((await read_body(response)).decode("utf-8", "replace"), "", 0)
        _take(job, event.deltas, flush_interval())
        usage, done = event.completion_tokens, True
    else:
        raise RemoteError(
            f"{url} answered with {kind or 'no content type'}, not an event stream: is this "
            "an OpenAI-compatible completions API?"
        )
    for choice in job.live:
        if choice.finish_reason is None and not done:
            s = "s" if choice.tokens != 1 else ""
            choice.finish(
                "error",
                error=f"The stream from {host} ended before the server said it was done, "
                f"after {choice.tokens} token{s}.",
            )
            continue
        stopped_by = choice.stopped_by()
        tokens = usage if len(job.choices) == 1 else None
        if tokens is None and stopped_by == "length":  # exact, where events merge tokens
            tokens = max_tokens
        choice.finish(stopped_by, tokens=tokens)


def _take(job: Job, deltas: Sequence[Delta], flush_interval: float) -> None:
    for delta in deltas:
        if 0 <= delta.index < len(job.choices):
            choice = job.choices[delta.index]
            if choice.add(delta, flush_interval):
                choice.finish("stop")
