"""The engine process: owns llama.cpp, reads requests on stdin, writes events on stdout.

Started by :class:`models.local.client.LocalEngine` like ``python -m models.local.process``
(without the current folder on ``sys.path``: :mod:`models.child_python`). Its
main thread loads the model and generates; a reader thread takes requests off the pipe so a
cancel lands within one token. It exits as soon as its stdin closes, so it can never outlive
the app. Native output (fd 1) goes to the log on fd 2, never into the protocol.

Messages (JSON frames, see :mod:`models.local.frames`); requests carry ``op``, events ``event``:

- ``load`` {path, gpu_layers, threads, cpu_repack, safe} → ``loaded`` | ``load_failed``
- ``generate`` {id, prompt, settings, max_tokens, stop, line_form?, n?, bans?, probabilities?}
  → ``started``, ``chunk``…, ``finished``; ``line_form`` "verse" maps line breaks for a
  WordPiece model (models.prompting.cjk). With ``n`` > 1, ``bans`` or ``probabilities``
  (models.local.batch),
  chunks carry ``seq`` and ``info`` (token figures) and ``finished`` carries ``sequences``
- ``score`` {id, text, top} → ``scored`` {id, tokens, cancelled, error} (models.local.scoring)
- ``count`` {id, text} → ``count`` {id, tokens}
- ``cancel`` {ids: [...] | null} · ``exit``
- ``pace`` {interval?, typing?}: seconds between chunks; ``typing``: the writer is typing, so
  for that many seconds generate with one thread fewer and leave a core to the editor
"""

from __future__ import annotations

import copy
import dataclasses
import faulthandler
import logging
import os
import queue
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

from models.errors import QuillpenError
from models.local.batch import Piece
from models.local.engine import Engine, StreamStats
from models.local.frames import PROTOCOL, FrameWriter, read_frame
from models.local.piece_stream import PieceStream, restore_lines
from models.native_crash import segfault
from models.prompting.cjk import LineRestorer, to_model_text
from models.prompting.prompts import StorySpec, TextSpec, build, from_wire
from models.sampling import SamplerSettings
from models.token_probs import TokenInfo

log = logging.getLogger("quillpen.engine_process")
FLUSH_INTERVAL = 1 / 20
"""Seconds between chunks (the client changes it with ``pace`` to suit its redraw cost)."""
TYPING_FLUSH = 1.0
"""Seconds between chunks while the writer types (``pace`` ``typing`` holds for 0.6 s after
each key, so streamed text resumes as soon as they pause)."""
SPARE_CORE = (os.cpu_count() or 1) > 2
"""Whether one thread fewer for the engine leaves the UI a core while the writer types."""
CRASH_ENV = "QUILLPEN_TEST_CRASH"
"""Test-only: ``generate:N`` segfaults after N tokens, ``generate-unsafe:N`` only while extra
buffer types are in use (as the AMX crash does), ``load`` while loading."""


class EngineServer:
    """One model, one request at a time; cancel and pace arrive on the reader thread."""

    def __init__(self, writer: FrameWriter) -> None:
        self.writer = writer
        self.jobs: queue.Queue[dict[str, Any]] = queue.Queue()
        self.engine: Engine | None = None
        self.cancel_event = threading.Event()
        self.flush_interval = FLUSH_INTERVAL
        self.typing_until = 0.0
        self._lock = threading.Lock()
        self._open: set[int] = set()
        self._cancelled: set[int] = set()
        self._current: int | None = None

    # Reader thread --------------------------------------------------------------------------
    def read_requests(self, fd: int) -> None:
        """Take requests off the pipe until it closes, then end the process at once."""
        while True:
            try:
                message = read_frame(fd)
            except (OSError, ValueError):
                message = None
            if message is None or message.get("op") == "exit":
                os._exit(0)
            op = message.get("op")
            if op == "cancel":
                self.cancel(message.get("ids"))
            elif op == "pace":
                if "interval" in message:
                    self.flush_interval = min(1.0, max(0.005, float(message["interval"])))
                if "typing" in message:
                    self.typing_until = time.monotonic() + min(5.0, float(message["typing"]))
            else:
                if op in ("generate", "score"):
                    with self._lock:
                        self._open.add(int(message["id"]))
                self.jobs.put(message)

    def cancel(self, ids: list[int] | None) -> None:
        with self._lock:
            targets = set(self._open) if ids is None else {int(i) for i in ids} & self._open
            self._cancelled |= targets
            if self._current in targets:
                self.cancel_event.set()

    # Main thread ----------------------------------------------------------------------------
    def serve(self) -> None:
        self.send({"event": "hello", "protocol": PROTOCOL, "pid": os.getpid()})
        while True:
            message = self.jobs.get()
            op = message.get("op")
            try:
                if op == "load":
                    self.load(message)
                elif op == "generate":
                    self.generate(message)
                elif op == "count":
                    self.count(message)
                elif op == "score":
                    self.score(message)
            except Exception as exc:  # keep serving; the client hears about it
                log.exception("%s failed", op)
                if op == "generate":
                    self._finish(int(message["id"]), StreamStats(), error=str(exc))
                elif op == "score":
                    self._scored(int(message["id"]), [], error=str(exc))

    def send(self, message: dict[str, Any]) -> None:
        self.writer.send(message)

    def load(self, message: dict[str, Any]) -> None:
        from models.local.cpu_probe import decide

        path = message["path"]
        if _crash_requested("load"):
            segfault()
        try:
            decision = decide(message.get("cpu_repack", "auto"))
            extra_bufts = decision.extra_bufts and not message.get("safe", False)
            engine = Engine.load(
                path,
                gpu_layers=message.get("gpu_layers"),
                threads=message.get("threads"),
                extra_bufts=extra_bufts,
            )
        except QuillpenError as exc:
            self.send({"event": "load_failed", "path": path, "error": str(exc)})
            return
        if self.engine is not None:
            self.engine.close()
        self.engine = engine
        notices = list(engine.notices)
        if not extra_bufts and decision.news:
            notices.append(decision.reason)
        self.send(
            {
                "event": "loaded",
                "name": engine.name,
                "path": str(engine.info.path),
                "quant": engine.info.file_type,
                "n_ctx": engine.n_ctx_train,
                "threads": engine.threads,
                "safe_mode": not extra_bufts,
                "notices": notices,
            }
        )

    def count(self, message: dict[str, Any]) -> None:
        tokens = self.engine.count_tokens(message["text"]) if self.engine else 0
        self.send({"event": "count", "id": message["id"], "tokens": tokens})

    def _begin(self, request_id: int) -> bool:
        """Make ``request_id`` the current request, unless it was cancelled while queued."""
        with self._lock:
            if request_id in self._cancelled:
                self._open.discard(request_id)
                self._cancelled.discard(request_id)
                return False
            self._current = request_id
            self.cancel_event.clear()
            return True

    def score(self, message: dict[str, Any]) -> None:
        request_id = int(message["id"])
        if not self._begin(request_id):
            self._scored(request_id, [], cancelled=True)
        elif self.engine is None:
            self._scored(request_id, [], error="no model is loaded")
        else:
            found = self.engine.score(
                str(message["text"]), int(message.get("top", 10)), self.cancel_event
            )
            self._scored(request_id, found, cancelled=self.cancel_event.is_set())

    def _scored(
        self,
        request_id: int,
        found: list[TokenInfo],
        *,
        cancelled: bool = False,
        error: str | None = None,
    ) -> None:
        self._done(request_id)
        tokens = [t.to_wire() for t in found]
        self.send(
            {
                "event": "scored",
                "id": request_id,
                "tokens": tokens,
                "cancelled": cancelled,
                "error": error,
            }
        )

    def generate(self, message: dict[str, Any]) -> None:
        request_id = int(message["id"])
        if not self._begin(request_id):
            self._finish(request_id, StreamStats(stopped_by="cancel"), cancelled=True)
            return
        engine = self.engine
        if engine is None:
            self._finish(request_id, StreamStats(), error="no model is loaded")
            return
        max_tokens = int(message.get("max_tokens", 80))
        spec = from_wire(message["prompt"])
        form = str(message.get("line_form") or "prose") if engine.wordpiece else "prose"
        lines = LineRestorer(form, getattr(spec, "text", ""))
        if form != "prose" and isinstance(spec, (StorySpec, TextSpec)):
            spec = dataclasses.replace(spec, text=to_model_text(spec.text, form))
        n = int(message.get("n", 1))
        built = build(spec, engine, max_tokens * n)
        fitted = engine.fit(built.tokens, max_tokens * n)  # (the one fit: the engine keeps it)
        facts = dataclasses.replace(
            built.facts,
            prompt_tokens=len(fitted.tokens),
            trimmed_tokens=built.facts.trimmed_tokens + fitted.cut,
        )
        self.send({"event": "started", "id": request_id, "facts": dataclasses.asdict(facts)})
        settings = SamplerSettings(**message.get("settings", {}))
        stop = message.get("stop", ())
        bans, top = tuple(message.get("bans", ())), int(message.get("probabilities", 0))
        plain = n == 1 and not bans and top <= 0
        if plain:
            text = engine.stream(
                fitted, settings, max_tokens=max_tokens, stop=stop, cancel=self.cancel_event
            )
            pieces: Iterator[Piece] = (Piece(0, lines.feed(t)) for t in text)
        else:  # alternatives in one batch, banned phrases, token figures (models.local.batch)
            restorers = [lines] + [copy.copy(lines) for _ in range(n - 1)]
            generated = engine.generate(
                fitted,
                settings,
                n=n,
                max_tokens=max_tokens,
                stop=stop,
                bans=bans,
                probabilities=top,
                cancel=self.cancel_event,
            )
            pieces = (restore_lines(p, restorers[p.seq]) for p in generated)
        out = PieceStream(self.send, request_id, engine, plain)
        threads, crash_after = engine.threads, _crash_after(engine)
        try:
            for piece in pieces:
                out.add(piece, self._interval())
                threads = self._yield_to_typing(engine, threads)
                self._hold_for_typing()
                if crash_after is not None and engine.last_stats.generated_tokens >= crash_after:
                    out.flush()
                    segfault()
        finally:
            if threads != engine.threads:
                engine.set_threads(engine.threads)
        out.flush()
        stats = engine.last_stats
        sequences = () if plain else tuple(engine.last_sequences)
        self._finish(request_id, stats, cancelled=stats.stopped_by == "cancel", sequences=sequences)

    def _interval(self) -> float:
        """Seconds between chunks: none drawn while the writer types (each draw of streamed
        text costs the UI 15-35 ms, and a key that lands during one waits for it)."""
        if time.monotonic() < self.typing_until:
            return max(self.flush_interval, TYPING_FLUSH)
        return self.flush_interval

    def _hold_for_typing(self) -> None:
        """With no core to spare for the UI (2 or fewer), wait between tokens while the writer
        types: their keys echo as fast as with nothing streaming; the text resumes when they
        pause (``pace`` ``typing`` holds for 0.6 s after a key)."""
        if SPARE_CORE:
            return
        while time.monotonic() < self.typing_until and not self.cancel_event.is_set():
            time.sleep(0.01)

    def _yield_to_typing(self, engine: Engine, current: int) -> int:
        """One thread fewer while the writer types (keys echo at once), all of them otherwise."""
        typing = time.monotonic() < self.typing_until
        wanted = max(1, engine.threads - 1) if typing else engine.threads
        if wanted != current:
            engine.set_threads(wanted)
        return wanted

    def _finish(
        self,
        request_id: int,
        stats: StreamStats,
        *,
        cancelled: bool = False,
        error: str | None = None,
        sequences: tuple[StreamStats, ...] = (),
    ) -> None:
        self._done(request_id)
        message = {
            "event": "finished",
            "id": request_id,
            "stats": dataclasses.asdict(stats),
            "cancelled": cancelled,
            "error": error,
        }
        if sequences:
            message["sequences"] = [dataclasses.asdict(s) for s in sequences]
        self.send(message)

    def _done(self, request_id: int) -> None:
        with self._lock:
            self._open.discard(request_id)
            self._cancelled.discard(request_id)
            if self._current == request_id:
                self._current = None


def _crash_requested(phase: str) -> bool:
    return os.environ.get(CRASH_ENV, "").split(":")[0] == phase


def _crash_after(engine: Engine) -> int | None:
    """Tokens after which the test crash hook fires during this generation, if any."""
    phase, _, count = os.environ.get(CRASH_ENV, "").partition(":")
    if phase == "generate" or (phase == "generate-unsafe" and engine.extra_bufts):
        return int(count or 1)
    return None


def main() -> None:
    protocol_out = os.dup(1)
    os.dup2(2, 1)  # anything native code prints lands in the log, not in the protocol
    sys.stdout = sys.stderr
    level = logging.DEBUG if os.environ.get("QUILLPEN_ENGINE_DEBUG") else logging.WARNING
    logging.basicConfig(
        stream=sys.stderr, level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    faulthandler.enable()  # a native crash leaves its Python stack in the log
    server = EngineServer(FrameWriter(protocol_out))
    threading.Thread(target=server.read_requests, args=(0,), daemon=True).start()
    try:
        server.serve()
    except BrokenPipeError:  # the app is gone
        os._exit(0)


if __name__ == "__main__":
    main()
