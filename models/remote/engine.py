"""An :class:`EngineClient` for OpenAI-compatible *completions* servers: :class:`RemoteEngine`.

llama.cpp's ``llama-server``, ``llama_cpp.server`` (llama-cpp-python), vLLM, or any server with
OpenAI's ``/v1/completions`` (GPT-2 is a base model: completions, never chat). The UI cannot tell
it from :class:`models.local.client.LocalEngine`: the same requests, the same events.

- **Its own thread** (:mod:`models.remote.loop`): an asyncio loop runs every request with httpx
  and httpx-sse (``stream: true``); events reach the sinks from that thread. No method blocks
  its caller, except ``close`` (≤ ~2 s).
- **Loading** a model (:mod:`models.remote.connect`, :mod:`models.remote.loader`) chooses one
  of the server's models and learns the server: its profile (:mod:`models.remote.profiles`),
  window and tokenizer.
- **Prompts** are built from the same specs as locally (:func:`models.prompting.prompts.build`)
  with the server's tokenizer (:mod:`models.remote.tokens`), fitted to the window, and sent as
  text.
- **Requests** (:mod:`models.remote.requests`, :mod:`models.remote.stream`): ``n``
  continuations go as one HTTP stream with ``n`` where the server takes it, else as ``n``
  streams; either way their chunks carry ``seq`` and one ``Finished`` ends the request.
  ``probabilities`` come from the server's logprobs as ``TokenInfo`` (:mod:`models.remote.events`).
  Banned phrases and scoring are refused with the reason (``capabilities.reasons``), never
  imitated.
- **Cancel** closes the stream (servers stop generating when the client goes); the text already
  delivered stays, and the request finishes with ``cancelled=True``, ``stopped_by="cancel"``.
- **Failures** finish the request with one plain sentence (:mod:`models.remote.errors`); 429 and
  503 are retried up to 3 times with backoff, each wait told to ``on_retry``
  (:mod:`models.remote.http`, which also keeps the API key out of everything but the header).
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from models.engine_client import (
    Capabilities,
    EngineEvent,
    Finished,
    GenerateRequest,
    ModelLoaded,
    Scored,
    Sink,
    next_request_id,
)
from models.remote.connect import Connection, ModelListing, RemoteModel, list_models, unsupported
from models.remote.errors import RemoteError, failure
from models.remote.http import CONNECT_TIMEOUT, READ_TIMEOUT, RETRY_DELAYS, RemoteHttp, Retrying
from models.remote.loader import Loader
from models.remote.loop import LoopThread, in_thread
from models.remote.profiles import DEFAULT_CONTEXT, get_profile
from models.remote.requests import serve
from models.remote.stream import RemoteRequest, task_done

if TYPE_CHECKING:
    from models.engine_client import EngineClient

__all__ = ["ModelListing", "RemoteEngine", "RemoteModel", "Retrying"]

log = logging.getLogger("quillpen.remote_engine")
CLOSE_WAIT = 1.0


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
        self.default_model = model
        self.capabilities = Capabilities(
            tokenize=False,
            context_length=context_length or DEFAULT_CONTEXT,
            reasons={"tokenize": "not connected to a server yet"} | unsupported(self.host),
        )
        self.model: ModelLoaded | None = None
        self._lock = threading.RLock()
        self._loader = Loader(
            self.http,
            self._lock,
            profile=get_profile(profile) if profile else None,
            context_length=context_length,
            adopt=self._adopt,
            report=lambda event: _call(self.status, event),
        )
        self._open: dict[int, RemoteRequest] = {}
        self._flush_interval = 1 / 20
        self._thread = LoopThread("remote-engine")

    # The EngineClient interface -------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return bool(self._open)

    @property
    def ready(self) -> bool:
        return self._loader.state is not None and not self._loader.loading

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
            serial = self._loader.begin()
            self.model = None
            earlier = set(self._open.values())
        self._thread.call(self._begin_load, wanted, serial, earlier)

    def submit(self, request: GenerateRequest, sink: Sink, *, exclusive: bool = True) -> int:
        """Queue ``request``: its ``n`` continuations in one HTTP stream where the server takes
        ``n``, else one stream each; ``probabilities`` from the server's logprobs. Banned
        phrases are refused (``Finished`` with the reason): no completions server can honour
        them."""
        req = RemoteRequest(request, self._deliver(sink))
        with self._lock:
            live = self._loader.state is not None or self._loader.loading
            if live:
                self._open[request.id] = req
        if live:
            if (not exclusive or self._thread.call(self._cancel_now, None, req)) and (
                self._thread.call(self._launch, req)
            ):
                return request.id
            with self._lock:  # the engine's thread is gone (closed meanwhile)
                self._open.pop(request.id, None)
        req.finish_all(error="no model is loaded")
        return request.id

    def count_tokens(self, text: str, reply: Callable[[int | None], None]) -> None:
        """Count with the server's tokenizer (an estimate where it has none); ``reply`` gets the
        number, or None if the server cannot be reached, on another thread."""
        state = self._loader.state
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
        """Not offered: a completions server gives figures for the tokens it generates, not
        for a text's every position (``capabilities.reasons["score"]``)."""
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
            self._loader.forget()
            self.model = None
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
            self._loader.forget()
            self.model = None
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

    # Requests ---------------------------------------------------------------------------
    def _deliver(self, sink: Sink) -> Sink:
        """``sink``, forgetting a request as it finishes and never raising into the engine."""

        def deliver(event: EngineEvent) -> None:
            if isinstance(event, Finished):
                with self._lock:
                    self._open.pop(event.request_id, None)
            _call(sink, event)

        return deliver

    def _launch(self, req: RemoteRequest) -> None:
        if req.cancel_requested or not req.live:
            req.finish_all(cancelled=True)
            return
        req.task = asyncio.get_running_loop().create_task(self._run(req))
        req.task.add_done_callback(lambda task: task_done(req, task))

    def _cancel_now(self, ids: set[int] | None, keep: RemoteRequest | None) -> None:
        with self._lock:
            found = [r for r in self._open.values() if r is not keep]
        for req in found:
            if ids is None or req.id in ids:
                req.cancel_requested = True  # the whole request: its streams close
                if req.task is not None:
                    req.task.cancel()

    async def _run(self, req: RemoteRequest) -> None:
        try:
            state = await self._loader.current()
            if state is None:
                raise RemoteError("no model is loaded")
            await serve(req, state.connection, state.slots, self.http, self._flush)
        except asyncio.CancelledError:
            req.finish_all(cancelled=True)
            raise
        except Exception as exc:  # one plain line for the writer, whatever it was
            req.finish_all(error=failure(exc, self.host))

    def _flush(self) -> float:
        return self._flush_interval

    # Loading ------------------------------------------------------------------------------
    def _begin_load(self, wanted: str | None, serial: int, earlier: set[RemoteRequest]) -> None:
        for req in earlier:  # what was asked of the old model goes, as locally
            req.cancel_requested = True
            if req.task is not None:
                req.task.cancel()
        self._loader.start(wanted, serial)

    def _adopt(self, connection: Connection) -> None:
        """A load succeeded (under the lock): its model and what the server can do."""
        self.model, self.capabilities = connection.loaded, connection.capabilities

    async def _shutdown(self, *, stop: bool = False) -> None:
        with self._lock:
            found = set(self._open.values())
        tasks = []
        for req in found:
            req.cancel_requested = True
            if req.task is not None:
                req.task.cancel()
                tasks.append(req.task)
            else:
                req.finish_all(cancelled=True)
        self._loader.stop()
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
