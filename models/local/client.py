"""The parent side of the engine process: :class:`LocalEngine`, an :class:`EngineClient`.

The child (:mod:`models.local.process`) is started with ``subprocess`` and explicit pipes
(``multiprocessing`` cannot spawn from inside Textual, which replaces ``sys.stdout``); its stderr
goes to ``engine.log`` in the state dir, never to the terminal. It runs in its own session, so
a terminal's signals do not reach it, and it exits when its stdin closes, so it never outlives
the app, however the app ends.

A reader thread turns the child's frames into events for the callbacks. When the child dies
(a signal or an exit), every open request finishes with the cause, the status callback gets
:class:`EngineCrashed`, and the engine restarts once in safe mode (no extra buffer types, half
the threads); a second crash leaves it stopped.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import subprocess
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from models import locations
from models.engine_client import (
    Capabilities,
    EngineCrashed,
    Finished,
    GenerateRequest,
    ModelFailed,
    ModelLoaded,
    ModelLoading,
    Scored,
    Sink,
    next_request_id,
    request_event,
    scored_event,
)
from models.local.child import EngineChild
from models.local.frames import read_frame
from models.native_crash import signal_name
from models.prompting.prompts import to_wire
from models.stats import StreamStats, available_threads

log = logging.getLogger("quillpen.local_engine")
ENGINE_MODULE = "models.local.process"
"""The engine process's entry module (tests wrap it with one of their own)."""
TYPING_HOLD = 0.6
"""Seconds after a key press during which the engine runs with one thread fewer."""
DAMAGED = (
    "llama.cpp crashed loading this model file, in safe mode too: this model file is damaged. "
    "Download or convert it again, or pick another model (F5)."
)
ADVICE = (
    "quillpen stopped the engine after a second crash. Try another quantization or model (F5), "
    'fewer threads (--threads 1), or cpu_repack = "off"; engine.log in quillpen\'s state '
    "folder says more (quillpen doctor shows where)."
)
_live: weakref.WeakSet[LocalEngine] = weakref.WeakSet()


@dataclass(frozen=True)
class LoadOptions:
    path: Path
    gpu_layers: int | str | None = 0
    threads: int | None = None
    cpu_repack: str = "auto"
    safe: bool = False
    """Forced safe mode (after a crash): no extra buffer types."""


class LocalEngine:
    """llama.cpp in a child process, one per loaded model (see the module doc)."""

    def __init__(
        self,
        status: Sink,
        *,
        cpu_repack: str = "auto",
        log_path: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.capabilities = Capabilities(probabilities=True, batched_alternatives=True)
        self.status = status
        self.cpu_repack = cpu_repack
        self.log_path = log_path
        self.env = env
        self.model: ModelLoaded | None = None
        self.pid: int | None = None
        self.crashes = 0
        self._lock = threading.RLock()
        self._child: EngineChild | None = None
        self._options: LoadOptions | None = None
        self._loading = False
        self._open: dict[int, Sink] = {}
        self._counts: dict[int, Callable[[int | None], None]] = {}
        self._scores: dict[int, Callable[[Scored], None]] = {}
        self._closed = False
        self._killed = False
        """:meth:`kill` ran: no engine process may run from now on."""
        self._last_typing = 0.0
        _live.add(self)

    # The EngineClient interface -------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return bool(self._open)

    @property
    def ready(self) -> bool:
        return self.model is not None and not self._loading

    def load(
        self, path: Path | str, *, gpu_layers: int | str | None = 0, threads: int | None = None
    ) -> None:
        """Start a fresh engine process for ``path`` (ending the old one)."""
        self.crashes = 0
        self._start(LoadOptions(Path(path), gpu_layers, threads, self.cpu_repack))

    def submit(self, request: GenerateRequest, sink: Sink, *, exclusive: bool = True) -> int:
        with self._lock:
            if exclusive and self._open:
                self._send({"op": "cancel", "ids": None})
            child = self._child
            if child is None or (self.model is None and not self._loading):
                reason = "the engine is stopped" if self.crashes > 1 else "no model is loaded"
                sink(Finished(request.id, StreamStats(), error=reason))
                return request.id
            self._open[request.id] = sink
            message = {
                "op": "generate",
                "id": request.id,
                "prompt": to_wire(request.prompt),
                "settings": request.settings.as_dict(),
                "max_tokens": request.max_tokens,
                "stop": list(request.stop),
            }
            message |= request.extras()  # batched alternatives, bans, token figures
            if not child.send(message):  # it just died: the reader reports it
                log.debug("request %s sent to a dead engine", request.id)
        return request.id

    def count_tokens(self, text: str, reply: Callable[[int | None], None]) -> None:
        """Count ``text``'s tokens with the model's tokenizer; ``reply`` gets the number (None
        if the engine went away first), on the reader thread."""
        with self._lock:
            request_id = next_request_id()
            self._counts[request_id] = reply
            child = self._child
        if child is None or not child.send({"op": "count", "id": request_id, "text": text}):
            self._counts.pop(request_id, None)
            reply(None)

    def score(self, text: str, reply: Callable[[Scored], None], *, top: int = 10) -> int:
        request_id = next_request_id()  # (reply runs on the reader thread)
        message = {"op": "score", "id": request_id, "text": text, "top": top}
        with self._lock:
            self._scores[request_id] = reply
            live = self._child is not None and (self.model is not None or self._loading)
            if live and self._child is not None and self._child.send(message):
                return request_id
            self._scores.pop(request_id, None)
        reply(Scored(request_id, error="no model is loaded"))
        return request_id

    def cancel(self, request_ids: Sequence[int] | None = None) -> None:
        with self._lock:
            if self._open or self._scores:
                ids = None if request_ids is None else [int(i) for i in request_ids]
                self._send({"op": "cancel", "ids": ids})

    def set_flush_interval(self, seconds: float) -> None:
        """How often the engine sends text while streaming (the UI adapts it to its redraws)."""
        self._send({"op": "pace", "interval": seconds})

    def writer_active(self) -> None:
        """The writer pressed a key: while a request streams, leave a core free for a moment."""
        now = time.monotonic()
        if self._open and now - self._last_typing > TYPING_HOLD / 3:
            self._last_typing = now
            self._send({"op": "pace", "typing": TYPING_HOLD})

    def close(self) -> None:
        """End the engine process (within about a second, whatever it is doing)."""
        with self._lock:
            self._closed = True
            child, self._child = self._child, None
            self.model = None
            self._fail_open("the engine was closed", cancelled=True)
        if child is not None:
            child.close()

    def kill(self) -> None:
        """End the engine process now, without waiting (a hang-up; the app is going away); one
        starting at this moment is ended as soon as it exists (:meth:`_start`)."""
        self._closed = self._killed = True
        if (child := self._child) is not None:
            child.kill()

    # Process lifecycle ----------------------------------------------------------------------
    def _send(self, message: dict[str, Any]) -> None:
        child = self._child
        if child is not None:
            child.send(message)

    def _start(self, options: LoadOptions) -> None:
        with self._lock:
            old, self._child = self._child, None
            self._fail_open("a new model is loading", cancelled=True)
            self.model = None
            self._options = options
            self._loading = True
            self._closed = False
        if old is not None:
            old.close()
        log_path = self.log_path or (locations.state_dir() / "engine.log")
        try:
            child = EngineChild(ENGINE_MODULE, log_path, self.env)
        except OSError as exc:
            self._loading = False
            self.status(ModelFailed(str(options.path), f"cannot start the engine: {exc}"))
            return
        with self._lock:
            self._child = child
            self.pid = child.proc.pid
        if self._killed:  # the app is going away (kill() may not have seen this child)
            child.kill()
            return
        threading.Thread(
            target=self._read, args=(child,), name="engine-reader", daemon=True
        ).start()
        self.status(ModelLoading(str(options.path)))
        child.send(
            {
                "op": "load",
                "path": str(options.path),
                "gpu_layers": options.gpu_layers,
                "threads": options.threads,
                "cpu_repack": options.cpu_repack,
                "safe": options.safe,
            }
        )

    def _read(self, child: EngineChild) -> None:
        """The reader thread: frames → events, then the child's end."""
        while True:
            try:
                message = read_frame(child.out_fd)
            except (OSError, ValueError) as exc:
                log.warning("engine protocol error: %s", exc)
                message = None
            if message is None:
                break
            try:
                self._dispatch(message)
            except Exception:  # a bad callback must not kill the reader
                log.exception("engine event handler failed")
        try:
            returncode = child.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child.proc.kill()
            returncode = child.proc.wait()
        with contextlib.suppress(OSError):
            child.log_file.close()
        if child.ended or child is not self._child or self._closed:
            return
        self._died(returncode)

    def _dispatch(self, message: dict[str, Any]) -> None:
        event = message.get("event")
        if event in ("started", "chunk", "finished"):
            request_id = int(message["id"])
            with self._lock:
                sink = (
                    self._open.pop(request_id, None)
                    if event == "finished"
                    else self._open.get(request_id)
                )
            if sink is not None:
                sink(request_event(message))
        elif event == "scored":
            with self._lock:
                done = self._scores.pop(int(message["id"]), None)
            if done is not None:
                done(scored_event(message))
        elif event == "count":
            with self._lock:
                reply = self._counts.pop(int(message["id"]), None)
            if reply is not None:
                reply(int(message["tokens"]))
        elif event == "loaded":
            self._loading = False
            self.model = ModelLoaded(
                name=message["name"],
                path=message["path"],
                quant=message["quant"],
                n_ctx=int(message["n_ctx"]),
                notices=tuple(message.get("notices", ())),
                threads=int(message.get("threads", 0)),
                safe_mode=bool(message.get("safe_mode")),
            )
            self.capabilities = replace(self.capabilities, context_length=self.model.n_ctx)
            self.status(self.model)
        elif event == "load_failed":
            self._loading = False
            self.model = None
            self.status(ModelFailed(message["path"], message["error"]))

    def _died(self, returncode: int) -> None:
        cause = signal_name(-returncode) if returncode < 0 else f"exit code {returncode}"
        with self._lock:
            during = "loading" if self._loading else "generating" if self._open else "idle"
            self._child = None
            self.model = None
            self._loading = False
            self.crashes += 1
            options = self._options
            restart = self.crashes == 1 and options is not None
            self._fail_open(f"the engine crashed ({cause}) while {during}")
        log.warning("engine process %s ended: %s while %s", self.pid, cause, during)
        advice = "" if restart else DAMAGED if during == "loading" else ADVICE
        self.status(EngineCrashed(cause, during, restart, advice))
        if restart and options is not None:
            threads = options.threads or available_threads()
            self._start(replace(options, safe=True, threads=max(1, threads // 2)))

    def _fail_open(self, error: str, *, cancelled: bool = False) -> None:
        """Finish every open request and count (caller holds the lock)."""
        counts, self._counts = self._counts, {}
        for reply in counts.values():
            reply(None)
        scores, self._scores = self._scores, {}
        for request_id, done in scores.items():
            done(Scored(request_id, cancelled=cancelled, error=None if cancelled else error))
        open_requests, self._open = self._open, {}
        for request_id, sink in open_requests.items():
            stats = StreamStats(stopped_by="cancel" if cancelled else "error")
            sink(
                Finished(request_id, stats, cancelled=cancelled, error=None if cancelled else error)
            )


@atexit.register
def _end_all() -> None:
    """No engine process outlives the interpreter, however it exits."""
    for engine in list(_live):
        with contextlib.suppress(Exception):
            if (child := engine._child) is not None:
                child.kill()
