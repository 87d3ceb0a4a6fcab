"""An :class:`EngineClient` for OpenAI-compatible *completions* servers: :class:`RemoteEngine`.

llama.cpp's ``llama-server``, ``llama_cpp.server`` (llama-cpp-python), vLLM, or any server with
OpenAI's ``/v1/completions`` (GPT-2 is a base model: completions, never chat). The UI cannot tell
it from :class:`models.local_engine.LocalEngine`: the same requests, the same events.

- **Its own thread** (:mod:`models.remote_loop`): an asyncio loop runs every request with httpx
  and httpx-sse (``stream: true``); events reach the sinks from that thread. No method blocks
  its caller, except :meth:`RemoteEngine.fetch_models` (for scripts) and ``close`` (≤ ~2 s).
- **Loading** a model (:mod:`models.remote_connect`) chooses one of the server's models and
  learns the server: its profile (:mod:`models.remote_profiles`), window and tokenizer.
- **Prompts** are built from the same specs as locally (:func:`models.prompts.build`) with the
  server's tokenizer (:mod:`models.remote_tokens`), fitted to the window, and sent as text.
- **Cancel** closes the stream (servers stop generating when the client goes); the text already
  delivered stays, and the request finishes with ``cancelled=True``, ``stopped_by="cancel"``.
- **Failures** finish the request with one plain sentence (:mod:`models.remote_errors`); 429 and
  503 are retried up to 3 times with backoff, each wait told to ``on_retry``
  (:mod:`models.remote_http`, which also keeps the API key out of everything but the header).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from models.engine import StreamStats
from models.engine_client import (
    Capabilities,
    EngineEvent,
    Finished,
    GenerateRequest,
    ModelFailed,
    ModelLoaded,
    ModelLoading,
    Scored,
    Sink,
    Started,
    next_request_id,
)
from models.remote_connect import Connection, ModelListing, RemoteModel, connect, list_models
from models.remote_errors import RemoteError
from models.remote_http import (
    CONNECT_TIMEOUT,
    READ_TIMEOUT,
    RETRY_DELAYS,
    RemoteHttp,
    Retrying,
)
from models.remote_loop import LoopThread, in_thread
from models.remote_profiles import DEFAULT_CONTEXT, TokenProb, completion_body, get_profile
from models.remote_stream import (
    ChoiceStream,
    Job,
    ProbChunk,
    build_prompt,
    consume,
    finish_all,
    job_done,
)

if TYPE_CHECKING:
    from models.engine_client import EngineClient

__all__ = [
    "ModelListing",
    "ProbChunk",
    "ProbRequest",
    "RemoteEngine",
    "RemoteModel",
    "Retrying",
    "TokenProb",
]

log = logging.getLogger("quillpen.remote_engine")
CLOSE_WAIT = 1.0


@dataclass
class ProbRequest(GenerateRequest):
    """A request whose chunks carry token probabilities (:class:`ProbChunk`)."""

    logprobs: int = 5
    """Alternatives per token (OpenAI and vLLM allow up to 5, llama-server 20)."""


@dataclass(frozen=True)
class _State:
    connection: Connection
    slots: asyncio.Semaphore


class RemoteEngine:
    """An OpenAI-compatible completions server as an engine (see the module doc).

    ``url``: the API's base, e.g. ``http://127.0.0.1:8000/v1``. ``api_key_env``: the name of
    the environment variable holding the key (never the key). ``profile``: "vllm",
    "llama.cpp", "llama-cpp-python" or "openai" (None: recognise the server). ``model``: the
    server's model to use when :meth:`load` names none. ``context_length``: the window, if the
    server's own report is wrong. ``ca_file``: a CA certificate to trust besides the usual ones.
    ``on_retry`` hears each 429/503 wait (:class:`Retrying`), on the engine's thread.
    """

    def __init__(
        self,
        status: Sink,
        url: str,
        *,
        api_key_env: str | None = None,
        profile: str | None = None,
        model: str | None = None,
        context_length: int | None = None,
        ca_file: str | os.PathLike[str] | None = None,
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
        retry_delays: Sequence[float] = RETRY_DELAYS,
        on_retry: Callable[[Retrying], None] | None = None,
    ) -> None:
        self.http = RemoteHttp(
            url,
            api_key_env=api_key_env,
            ca_file=ca_file,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retry_delays=retry_delays,
            on_retry=on_retry,
        )
        self.url, self.host = self.http.url, self.http.host
        self.status = status
        self.profile = get_profile(profile) if profile else None
        self.default_model = model
        self.context_length = context_length
        self.capabilities = Capabilities(
            tokenize=False,
            context_length=context_length or DEFAULT_CONTEXT,
            reasons={"tokenize": "not connected to a server yet"},
        )
        self.model: ModelLoaded | None = None
        self._lock = threading.RLock()
        self._state: _State | None = None
        self._loading = False
        self._load_serial = 0
        self._load_done: asyncio.Event | None = None
        self._load_task: asyncio.Task[None] | None = None
        self._open: dict[int, Job] = {}
        self._flush_interval = 1 / 20
        self._thread = LoopThread("remote-engine")

    # The EngineClient interface -------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return bool(self._open)

    @property
    def ready(self) -> bool:
        return self._state is not None and not self._loading

    def load(
        self,
        path: Path | str | None = None,
        *,
        gpu_layers: int | str | None = None,
        threads: int | None = None,
    ) -> None:
        """Connect and use model ``path`` of the server (None: the configured or first one).
        ``gpu_layers`` and ``threads`` are the server's business and are ignored."""
        wanted = str(path) if path not in (None, "", ".") else self.default_model
        self._thread.ensure()
        self.http.open()
        with self._lock:
            self._loading = True
            self._state = None
            self.model = None
            self._load_serial += 1
            serial = self._load_serial
            earlier = set(self._open.values())
        self._thread.call(self._begin_load, wanted, serial, earlier)

    def submit(self, request: GenerateRequest, sink: Sink, *, exclusive: bool = True) -> int:
        self._start(request, [request.id], sink, exclusive)
        return request.id

    def submit_alternatives(
        self, requests: Sequence[GenerateRequest], sink: Sink, *, exclusive: bool = False
    ) -> list[int]:
        """Several continuations of one prompt (the alternatives screen): one request with
        ``n`` choices where the server allows it (the first request's prompt, settings and
        length serve them all), else one request each, as :meth:`submit` would."""
        ids = [r.id for r in requests]
        if len(requests) > 1 and self.capabilities.batched_alternatives:
            self._start(requests[0], ids, sink, exclusive)
        else:
            for i, request in enumerate(requests):
                self._start(request, [request.id], sink, exclusive and i == 0)
        return ids

    def count_tokens(self, text: str, reply: Callable[[int | None], None]) -> None:
        """Count with the server's tokenizer (an estimate where it has none); ``reply`` gets the
        number, or None if the server cannot be reached, on another thread."""
        state = self._state
        if state is None:
            reply(None)
            return
        tokenizer = state.connection.tokenizer

        async def count() -> None:
            result: int | None = None
            try:
                result = len(await in_thread(lambda: tokenizer.tokenize(text)))
            except RemoteError:
                pass
            except Exception:
                log.exception("counting tokens failed")
            _call(reply, result)

        self._thread.spawn(count())

    def score(self, text: str, reply: Callable[[Scored], None], *, top: int = 10) -> int:
        """Not offered by completions servers (it needs every position's logits)."""
        request_id = next_request_id()
        reply(Scored(request_id, error=f"{self.host} cannot score text; the local engine can"))
        return request_id

    def cancel(self, request_ids: Sequence[int] | None = None) -> None:
        if self._open:
            ids = None if request_ids is None else {int(i) for i in request_ids}
            self._thread.call(self._cancel_now, ids, None)

    def set_flush_interval(self, seconds: float) -> None:
        self._flush_interval = min(1.0, max(0.005, float(seconds)))

    def writer_active(self) -> None:
        """Typing costs a remote server nothing: there is nothing to yield."""

    def close(self) -> None:
        """Cancel every request (each gets ``Finished``) and end the engine's thread; a later
        :meth:`load` starts afresh."""
        with self._lock:
            self._state, self.model, self._loading = None, None, False
            self._load_serial += 1
        if not self._thread.running:
            return
        if self._thread.on_thread():  # closed from one of our own callbacks
            self._thread.spawn(self._shutdown(stop=True))
            return
        try:
            self._thread.run(self._shutdown(), timeout=CLOSE_WAIT)
        except Exception:  # stuck or gone: stop regardless
            log.debug("remote engine shutdown did not finish in time")
        self._thread.stop(CLOSE_WAIT)

    def kill(self) -> None:
        """Stop at once without waiting (the app is going away); sinks may hear nothing."""
        with self._lock:
            self._state, self.model = None, None
            self._open.clear()
        self._thread.stop(0)

    # Models ---------------------------------------------------------------------------------
    def list_models(self, reply: Callable[[ModelListing], None]) -> None:
        """The server's models (the models screen); ``reply`` runs on the engine's thread."""
        self._thread.ensure()
        self.http.open()

        async def listing() -> None:
            try:
                found = await list_models(self.http)
            except Exception as exc:  # a bug, not the network: the screen still hears back
                log.exception("listing models failed")
                found = ModelListing(error=f"unexpected error talking to {self.host}: {exc}")
            _call(reply, found)

        self._thread.spawn(listing())

    def fetch_models(self, timeout: float = 30.0) -> ModelListing:
        """The same, blocking (the CLI and scripts; never on the UI's thread)."""
        self.http.open()
        try:
            return self._thread.run(list_models(self.http), timeout)
        except concurrent.futures.TimeoutError:
            return ModelListing(error=f"{self.host} did not list its models in {timeout:g} s.")

    # Requests (caller's thread) -------------------------------------------------------------
    def _start(self, request: GenerateRequest, ids: list[int], sink: Sink, exclusive: bool) -> None:
        deliver = self._deliver(sink)
        with self._lock:
            if self._state is None and not self._loading:
                job = None
            else:
                want_probs = int(getattr(request, "logprobs", 0)) > 0
                stops = tuple(s for s in request.stop if s)
                job = Job(request, [ChoiceStream(i, deliver, stops, want_probs) for i in ids])
                for request_id in ids:
                    self._open[request_id] = job
        if job is not None:
            if (not exclusive or self._thread.call(self._cancel_now, None, job)) and (
                self._thread.call(self._launch, job)
            ):
                return
            with self._lock:  # the engine's thread is gone (closed meanwhile)
                for request_id in ids:
                    self._open.pop(request_id, None)
        for request_id in ids:
            deliver(Finished(request_id, StreamStats(), error="no model is loaded"))

    def _deliver(self, sink: Sink) -> Sink:
        """``sink``, forgetting a request as it finishes and never raising into the engine."""

        def deliver(event: EngineEvent) -> None:
            if isinstance(event, Finished):
                with self._lock:
                    self._open.pop(event.request_id, None)
            _call(sink, event)

        return deliver

    # Requests (the engine's thread) ---------------------------------------------------------
    def _launch(self, job: Job) -> None:
        if job.cancel_requested or not job.live:
            finish_all(job, cancelled=True)
            return
        job.task = asyncio.get_running_loop().create_task(self._run(job))
        job.task.add_done_callback(lambda task: job_done(job, task))

    def _cancel_now(self, ids: set[int] | None, keep: Job | None) -> None:
        with self._lock:
            jobs = {job for job in self._open.values() if job is not keep}
        for job in jobs:
            live = job.live
            targets = [c for c in live if ids is None or c.request_id in ids]
            if not targets:
                continue
            if len(targets) == len(live):  # the whole stream: close it
                job.cancel_requested = True
                if job.task is not None:
                    job.task.cancel()
                continue
            for choice in targets:  # some of a batch: the others stream on
                choice.finish("cancel", cancelled=True)

    async def _run(self, job: Job) -> None:
        try:
            await self._serve(job)
        except asyncio.CancelledError:
            finish_all(job, cancelled=True)
            raise
        except RemoteError as exc:
            finish_all(job, error=exc.message)
        except Exception as exc:  # a bug, not the network: still one line for the writer
            log.exception("remote request failed")
            finish_all(job, error=f"unexpected error talking to {self.host}: {exc}")

    async def _serve(self, job: Job) -> None:
        state = await self._current_state()
        if state is None:
            raise RemoteError("no model is loaded")
        async with state.slots:
            if not job.live:
                return
            connection = state.connection
            prompt, facts, max_tokens = await in_thread(
                lambda: build_prompt(connection.tokenizer, job.request, self.host)
            )
            now = time.monotonic()
            for choice in job.live:
                choice.facts, choice.started = facts, now
                choice.sink(Started(choice.request_id, facts))
            body = completion_body(
                connection.profile,
                model=connection.model,
                prompt=prompt,
                settings=job.request.settings,
                max_tokens=max_tokens,
                stop=job.request.stop,
                n=len(job.choices),
                logprobs=int(getattr(job.request, "logprobs", 0)),
            )
            url = self.url + "/completions"
            first = job.choices[0].request_id
            async with self.http.stream(url, body, first, lambda: job.received) as (
                response,
                source,
            ):
                await consume(
                    job,
                    response,
                    source,
                    max_tokens=max_tokens,
                    flush_interval=lambda: self._flush_interval,
                    url=url,
                    host=self.host,
                )

    # Loading (the engine's thread) ----------------------------------------------------------
    def _begin_load(self, wanted: str | None, serial: int, earlier: set[Job]) -> None:
        for job in earlier:  # what was asked of the old model goes, as locally
            job.cancel_requested = True
            if job.task is not None:
                job.task.cancel()
        if self._load_task is not None:
            self._load_task.cancel()
        if self._load_done is not None:
            self._load_done.set()  # whoever waits for the old load looks again
        done = self._load_done = asyncio.Event()
        loop = asyncio.get_running_loop()
        self._load_task = loop.create_task(self._load(wanted, serial, done))

    async def _load(self, wanted: str | None, serial: int, done: asyncio.Event) -> None:
        _call(self.status, ModelLoading(self.url))
        connection: Connection | None = None
        try:
            connection = await connect(
                self.http, wanted, profile=self.profile, context_length=self.context_length
            )
            failure = None
        except RemoteError as exc:
            failure = exc.message
        except Exception as exc:
            log.exception("connecting to %s failed", self.url)
            failure = f"unexpected error talking to {self.host}: {exc}"
        with self._lock:
            current = serial == self._load_serial
            if current:
                self._loading = False
                if connection is not None:
                    slots = asyncio.Semaphore(max(1, connection.slots))
                    self._state = _State(connection, slots)
                    self.model, self.capabilities = connection.loaded, connection.capabilities
        done.set()
        if current:
            event = connection.loaded if connection else ModelFailed(self.url, failure or "")
            _call(self.status, event)

    async def _current_state(self) -> _State | None:
        while self._loading and self._load_done is not None:
            waited = self._load_done
            await waited.wait()
            if waited is self._load_done:
                break
        return self._state

    async def _shutdown(self, *, stop: bool = False) -> None:
        with self._lock:
            jobs = set(self._open.values())
        tasks = []
        for job in jobs:
            job.cancel_requested = True
            if job.task is not None:
                job.task.cancel()
                tasks.append(job.task)
            else:
                finish_all(job, cancelled=True)
        if self._load_task is not None:
            self._load_task.cancel()
        if self._load_done is not None:
            self._load_done.set()
        self._load_task = self._load_done = None
        if tasks:
            await asyncio.wait(tasks, timeout=CLOSE_WAIT / 2)
        try:
            await self.http.aclose()
        except Exception:
            log.debug("closing the HTTP clients failed", exc_info=True)
        if stop:
            self._thread.stop(0)


# Helpers ------------------------------------------------------------------------------------
def _call(callback: Callable[[Any], None], value: Any) -> None:
    try:
        callback(value)
    except Exception:  # a bad callback must not break the engine
        log.exception("remote engine callback failed")


if TYPE_CHECKING:

    def _implements(engine: RemoteEngine) -> EngineClient:
        return engine
