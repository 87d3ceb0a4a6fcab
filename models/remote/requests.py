"""Serving one request on a completions server: its prompt, its HTTP streams, its answers.

:func:`serve` builds the prompt once (:func:`build_prompt`, from the request's spec as the local
engine would), then asks for the request's ``n`` continuations: in HTTP streams of as many
choices as the server takes at once (``n``: llama-server up to its slots, vLLM any number), else
one stream each (continuation i with seed ``seed + i``, as locally). Where the choices of a
request share the server's cache (llama-server's default), the prompt leaves room for all of
them, as the local engine's batch does, and the groups go one after another. A stream's failure
ends its own continuations with the plain message; the others go on. Continuations a server
could not write together (out of room after all, or ``n`` ignored) are written again one at a
time from where each had got to, and the request says so once (``Finished.notice``).
:func:`consume` reads one stream's server-sent events (:mod:`models.remote.events`) into its
continuations.

What a completions server cannot do is refused plainly, never imitated: banned phrases need
quillpen's token-by-token rollback, which only the local engine has.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace

import httpx
from httpx_sse import EventSource

from models.engine_client import GenerateRequest
from models.prompting.prompts import PromptFacts, TextSpec, build
from models.remote.connect import Connection
from models.remote.errors import RemoteError, failure
from models.remote.events import Delta, read_event
from models.remote.http import RemoteHttp, read_body
from models.remote.loop import in_thread
from models.remote.profiles import completion_body
from models.remote.sse import sse_events
from models.remote.stream import ChoiceStream, RemoteRequest
from models.remote.tokens import ApproxTokenizer, ServerTokenizer

EOT_TEXT = "<|endoftext|>"
"""The prompt when there is nothing to continue (the local engine starts from this token)."""


def refusal(request: GenerateRequest, connection: Connection, host: str) -> str | None:
    """Why this server cannot serve ``request`` as asked (None: it can)."""
    label = connection.profile.label
    if request.bans:
        return (
            f"{host} ({label}) cannot ban phrases: that needs the local engine, which rolls "
            "back and resamples as it generates. Remove the banned phrases or use the local "
            "engine."
        )
    if request.n < 1:
        return f"a request needs at least one continuation (n = {request.n})"
    if request.probabilities > 0 and not connection.profile.logprobs:
        return f"{host} ({label}) sends no token probabilities"
    return None


def build_prompt(
    tok: ServerTokenizer | ApproxTokenizer, request: GenerateRequest, host: str, together: int = 1
) -> tuple[str, PromptFacts, int]:
    """The prompt text, its facts and the tokens allowed (blocking: a worker thread's job).

    ``together``: continuations that share the server's cache (llama-server's choices in one
    request), as in the local engine's batch: the prompt is fitted to leave room for all of
    them. Where each continuation has a window to itself, it leaves ``max_tokens`` (1).
    """
    spec, max_new = request.prompt, request.max_tokens
    if isinstance(spec, TextSpec) and spec.tokens is not None and not tok.exact:
        raise RemoteError(
            f"{host} has no tokenize endpoint, so a prompt given as tokens cannot be sent."
        )
    together = max(1, together)
    built = build(spec, tok, max_new * together)
    window = tok.n_ctx_train  # as the local engine fits: keep the end, leave room
    room = max(1, min(max_new * together, window - 1))
    cut = max(0, len(built.tokens) - (window - room))
    tokens = built.tokens[cut:]
    facts = replace(
        built.facts,
        prompt_tokens=len(tokens),
        trimmed_tokens=built.facts.trimmed_tokens + cut,
    )
    return tok.detokenize(tokens) or EOT_TEXT, facts, max(1, min(max_new, room // together))


async def serve(
    req: RemoteRequest,
    connection: Connection,
    slots: asyncio.Semaphore,
    http: RemoteHttp,
    flush_interval: Callable[[], float],
) -> None:
    """Run ``req`` to its end (see the module doc); raises what ends it as a whole."""
    request, host = req.request, http.host
    refused = refusal(request, connection, host)
    if refused:
        raise RemoteError(refused)
    profile = connection.profile
    size = min(connection.batch or len(req.choices), len(req.choices))
    groups = [req.choices[i : i + size] for i in range(0, len(req.choices), size)]
    together = size if profile.shared_cache else 1
    others: list[asyncio.Task[None]] = []
    try:
        async with slots:
            if not req.live:
                return
            prompt, facts, max_tokens = await in_thread(
                lambda: build_prompt(connection.tokenizer, request, host, together)
            )
            req.start(facts)
            plan = Plan(req, connection, http, prompt, max_tokens, flush_interval)
            if profile.shared_cache:  # each group has the server's whole cache in turn
                for group in groups:
                    await plan.stream(group)
                await plan.one_by_one()
                return
            loop = asyncio.get_running_loop()
            others = [loop.create_task(_queued(slots, plan.stream, g)) for g in groups[1:]]
            await plan.stream(groups[0])
        if others:
            await asyncio.gather(*others)
        if plan.again:
            async with slots:
                await plan.one_by_one()
    finally:
        for task in others:
            task.cancel()


async def _queued(
    slots: asyncio.Semaphore,
    stream: Callable[[list[ChoiceStream]], Awaitable[None]],
    group: list[ChoiceStream],
) -> None:
    async with slots:
        if any(not c.finished for c in group):
            await stream(group)


@dataclass
class Plan:
    """One request's streams: its prompt, and its continuations that a server could not write
    together (out of room in a shared cache, or ``n`` ignored), written again one at a time
    from where each had got to."""

    req: RemoteRequest
    connection: Connection
    http: RemoteHttp
    prompt: str
    max_tokens: int
    flush_interval: Callable[[], float]
    again: list[ChoiceStream] = field(default_factory=list)
    why: str = ""

    async def stream(self, group: list[ChoiceStream], *, alone: bool = False) -> None:
        """One HTTP stream for ``group``'s continuations; a failure ends them, and only them
        (except running out of room, when they are written again one at a time)."""
        first, request, profile = group[0], self.req.request, self.connection.profile
        settings = request.settings
        if settings.seed is not None:  # continuation i: seed + i (llama-server adds the rest)
            settings = replace(settings, seed=settings.seed + first.seq)
        done = first.tokens if alone else 0
        body = completion_body(
            profile,
            model=self.connection.model,
            prompt=self.prompt + (first.text if alone else ""),
            settings=settings,
            max_tokens=max(1, self.max_tokens - done),
            stop=request.stop,
            n=len(group),
            logprobs=profile.max_logprobs if request.probabilities > 0 else 0,  # for ranks
        )
        http, url = self.http, self.http.url + "/completions"
        try:
            async with http.stream(url, body, self.req.id, lambda: _received(group)) as answer:
                await consume(
                    group,
                    *answer,
                    max_tokens=self.max_tokens,
                    flush_interval=self.flush_interval,
                    url=url,
                    host=http.host,
                    asked=body.get("logprobs", 0),
                    earlier=done,
                )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            message = failure(exc, http.host)
            if not alone and out_of_room(message):
                self._later(group, f"{http.host} ran out of room in its cache")
                return
            for choice in group:
                choice.finish("error", error=message)
        if len(group) > 1 and any(not c.finished for c in group):  # nothing for them: no n
            self._later(group, f"{http.host} wrote only some of them at once")

    def _later(self, group: list[ChoiceStream], why: str) -> None:
        self.again += [c for c in group if not c.finished]
        self.why = self.why or why

    async def one_by_one(self) -> None:
        """Write the continuations put off, one after another; say so once."""
        if not self.again:
            return
        if len(self.req.choices) > 1:
            self.req.notice = f"{self.why}, so the alternatives were written one after another."
        else:
            self.req.notice = f"{self.why}, so the text went on from where it was cut."
        for choice in self.again:
            if not choice.finished:
                await self.stream([choice], alone=True)


def _received(group: Sequence[ChoiceStream]) -> int:
    return max((c.tokens for c in group), default=0)


def out_of_room(message: str) -> bool:
    """Whether a server's failure says its cache (context) was full: llama-server's "Context
    size has been exceeded", or its "Invalid input batch" after it failed to restore a cached
    prompt for want of room (it clears those slots, so a retry works)."""
    said = message.lower()
    return any(
        words in said
        for words in ("context size", "exceeds the available context", "invalid input batch")
    )


async def consume(
    choices: list[ChoiceStream],
    response: httpx.Response,
    source: EventSource,
    *,
    max_tokens: int,
    flush_interval: Callable[[], float],
    url: str,
    host: str,
    asked: int = 0,
    earlier: int = 0,
) -> None:
    """Read a completions answer into ``choices`` (its choice i is ``choices[i]``) and finish
    each of them, except, in a stream of several, one that received nothing at all (a server
    that ignores ``n``). ``asked``: alternatives asked per token; ``earlier``: tokens the
    continuation had before this stream (one written again from where it was cut)."""
    kind = response.headers.get("content-type", "").partition(";")[0].strip().lower()
    done = False
    usage: int | None = None
    if kind == "text/event-stream":
        async with contextlib.aclosing(sse_events(response)) as events:
            async for sse in events:
                received = max((c.tokens for c in choices), default=0)
                event = read_event(sse.data, sse.event, received, asked)
                if event.completion_tokens is not None:
                    usage = event.completion_tokens
                if event.done:
                    done = True
                    break
                _take(choices, event.deltas, flush_interval(), max_tokens)
                if all(c.finished for c in choices):
                    return  # every choice ended here (stop strings): hang up
    elif kind == "application/json":  # a server that does not stream
        event = read_event((await read_body(response)).decode("utf-8", "replace"), "", 0)
        _take(choices, event.deltas, flush_interval(), max_tokens)
        usage, done = event.completion_tokens, True
    else:
        raise RemoteError(
            f"{url} answered with {kind or 'no content type'}, not an event stream: is this "
            "an OpenAI-compatible completions API?"
        )
    for choice in choices:
        if choice.finished or (done and len(choices) > 1 and not _heard(choice)):
            continue
        if choice.finish_reason is None and not done:
            s = "s" if choice.tokens != 1 else ""
            choice.finish(
                "error",
                error=f"The stream from {host} ended before the server said it was done, "
                f"after {choice.tokens} token{s}.",
            )
            continue
        stopped_by = choice.stopped_by()
        tokens = earlier + usage if len(choices) == 1 and usage is not None else None
        if tokens is None and stopped_by == "length":  # exact, where events merge tokens
            tokens = max_tokens
        choice.finish(stopped_by, tokens=tokens)


MAX_TOKEN_CHARS = 256
"""Characters a token may average before the server is taken to ignore ``max_tokens``."""


def _take(
    choices: Sequence[ChoiceStream],
    deltas: Sequence[Delta],
    flush_interval: float,
    max_tokens: int,
) -> None:
    for delta in deltas:
        if 0 <= delta.index < len(choices):
            choice = choices[delta.index]
            before = len(choice.text)
            if choice.add(delta, flush_interval):
                choice.finish("stop")
            elif choice.tokens > max_tokens or len(choice.text) > max_tokens * MAX_TOKEN_CHARS:
                _overrun(choice, before, max_tokens)


def _overrun(choice: ChoiceStream, before: int, max_tokens: int) -> None:
    """The server sent more than ``max_tokens``: the continuation ends where it had them."""
    choice.cut = before if choice.cut is None else min(choice.cut, before)
    s = "s" if max_tokens != 1 else ""
    choice.finish(
        "length",
        error=f"The server sent more than the {max_tokens} token{s} asked for: quillpen "
        "stopped reading there.",
        tokens=min(choice.tokens, max_tokens),
    )


def _heard(choice: ChoiceStream) -> bool:
    return bool(choice.tokens or choice.text or choice.finish_reason)
