"""Serving one request on a completions server: its prompt, its HTTP streams, its answers.

:func:`serve` builds the prompt once (:func:`build_prompt`, from the request's spec as the local
engine would), then asks for the request's ``n`` continuations: in one HTTP stream with ``n``
where the server's profile allows it, else in ``n`` streams of one each (continuation i with
seed ``seed + i``, as locally), every stream waiting for one of the server's slots. A stream's
failure ends its own continuations with the plain message; the others go on. :func:`consume`
reads one stream's server-sent events (:mod:`models.remote.events`) into its continuations.

What a completions server cannot do is refused plainly, never imitated: banned phrases need
quillpen's token-by-token rollback, which only the local engine has.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace

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
    tok: ServerTokenizer | ApproxTokenizer, request: GenerateRequest, host: str
) -> tuple[str, PromptFacts, int]:
    """The prompt text, its facts and the tokens allowed (blocking: a worker thread's job).

    Each continuation has the server's whole window to itself (unlike the local engine's
    batch, which shares one), so the prompt is fitted to leave ``max_tokens``, not n times it.
    """
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
    others: list[asyncio.Task[None]] = []
    try:
        async with slots:
            if not req.live:
                return
            prompt, facts, max_tokens = await in_thread(
                lambda: build_prompt(connection.tokenizer, request, host)
            )
            req.start(facts)
            together = len(req.choices) == 1 or profile.batched_n
            groups = [req.choices] if together else [[c] for c in req.choices]

            def stream(group: list[ChoiceStream]) -> Awaitable[None]:
                settings = request.settings
                if not together and settings.seed is not None:  # continuation i: seed + i
                    settings = replace(settings, seed=settings.seed + group[0].seq)
                body = completion_body(
                    profile,
                    model=connection.model,
                    prompt=prompt,
                    settings=settings,
                    max_tokens=max_tokens,
                    stop=request.stop,
                    n=len(group),
                    logprobs=request.probabilities,
                )
                return _stream(req, group, body, http, max_tokens, flush_interval)

            loop = asyncio.get_running_loop()
            others = [loop.create_task(_queued(slots, stream, g)) for g in groups[1:]]
            await stream(groups[0])
        if others:
            await asyncio.gather(*others)
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


async def _stream(
    req: RemoteRequest,
    group: list[ChoiceStream],
    body: dict[str, object],
    http: RemoteHttp,
    max_tokens: int,
    flush_interval: Callable[[], float],
) -> None:
    """One HTTP stream for ``group``'s continuations; a failure ends them, and only them."""
    url = http.url + "/completions"

    def received() -> int:
        return max((c.tokens for c in group), default=0)

    try:
        async with http.stream(url, body, req.id, received) as (response, source):
            await consume(
                group,
                response,
                source,
                max_tokens=max_tokens,
                flush_interval=flush_interval,
                url=url,
                host=http.host,
            )
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        message = failure(exc, http.host)
        for choice in group:
            choice.finish("error", error=message)


async def consume(
    choices: list[ChoiceStream],
    response: httpx.Response,
    source: EventSource,
    *,
    max_tokens: int,
    flush_interval: Callable[[], float],
    url: str,
    host: str,
) -> None:
    """Read a completions answer into ``choices`` (its choice i is ``choices[i]``) and finish
    each of them."""
    kind = response.headers.get("content-type", "").partition(";")[0].strip().lower()
    done = False
    usage: int | None = None
    if kind == "text/event-stream":
        async with contextlib.aclosing(sse_events(response)) as events:
            async for sse in events:
                received = max((c.tokens for c in choices), default=0)
                event = read_event(sse.data, sse.event, received)
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
        if choice.finished:
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
        tokens = usage if len(choices) == 1 else None
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
