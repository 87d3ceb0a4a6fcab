"""The one thread that owns the engine: load requests and generation requests in, messages out.

Widgets call :meth:`Generator.submit` (which only queues) and receive ``GenerationStarted``,
``GenerationChunk`` and ``GenerationFinished`` messages posted to the widget that asked. Text is
buffered and posted at most ``FLUSH_HZ`` times a second so the UI redraws a bounded number of
times however fast the model runs. Only ``post_message`` crosses back to the UI thread.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from textual.message_pump import MessagePump

from models.engine import Engine, StreamStats
from models.errors import QuillpenError
from models.sampling import SamplerSettings
from tui.messages import (
    GenerationChunk,
    GenerationFinished,
    GenerationStarted,
    ModelFailed,
    ModelLoading,
    ModelReady,
)

log = logging.getLogger("quillpen.generation")
FLUSH_HZ = 30
PromptBuilder = Callable[[Engine], "str | list[int]"]
_ids = itertools.count(1)


@dataclass
class Request:
    """Continue a prompt and stream the text to ``reply_to``.

    ``prompt`` may be a callable run *in the worker* with the engine, for prompts that must be
    fitted to the window with the tokenizer (chat transcripts, story context).
    """

    reply_to: MessagePump
    prompt: str | list[int] | PromptBuilder
    settings: SamplerSettings = field(default_factory=SamplerSettings)
    max_tokens: int = 80
    stop: Sequence[str] = ()
    exclusive: bool = True
    """Cancel the running request and drop queued ones from the same widget (False: queue)."""
    id: int = field(default_factory=lambda: next(_ids))


@dataclass
class _Load:
    path: Path
    reply_to: MessagePump
    gpu_layers: int | str | None
    threads: int | None


_STOP = object()


class Generator:
    """Queue-fed owner of the :class:`Engine`; run :meth:`serve` in one thread worker."""

    def __init__(self) -> None:
        self._queue: queue.Queue[object] = queue.Queue()
        self._cancel = threading.Event()
        self._current: int | None = None
        self.engine: Engine | None = None
        # cancel() count, and the count each queued request was submitted at: a request
        # submitted before a cancel() ends cancelled when the worker reaches it.
        self._cancels = 0
        self._queued_at: dict[int, int] = {}

    # Called from the UI thread -------------------------------------------------------------
    def load(
        self,
        path: Path,
        reply_to: MessagePump,
        gpu_layers: int | str | None = 0,
        threads: int | None = None,
    ) -> None:
        self._queue.put(_Load(path, reply_to, gpu_layers, threads))

    def submit(self, request: Request) -> int:
        """Queue ``request`` (cancelling the one running, if exclusive) and return its id."""
        if request.exclusive:
            self.cancel()
        self._queued_at[request.id] = self._cancels
        self._queue.put(request)
        return request.id

    def cancel(self) -> None:
        """Stop the running generation within one token, and those queued before now."""
        self._cancels += 1
        if self._current is not None:
            self._cancel.set()

    def cancel_all(self, reply_to: MessagePump) -> None:
        """Drop every queued request of ``reply_to`` and stop the running one."""
        with self._queue.mutex:
            kept = [
                i
                for i in self._queue.queue
                if not (isinstance(i, Request) and i.reply_to is reply_to)
            ]
            for item in self._queue.queue:
                if isinstance(item, Request) and item.reply_to is reply_to:
                    self._queued_at.pop(item.id, None)
            self._queue.queue.clear()
            self._queue.queue.extend(kept)
        self.cancel()

    @property
    def busy(self) -> bool:
        return self._current is not None or bool(self._queued_at)

    def stop(self) -> None:
        self.cancel()
        self._queue.put(_STOP)

    # The worker thread ---------------------------------------------------------------------
    def serve(self) -> None:
        """Handle queued items until :meth:`stop`; the only code that touches the engine."""
        while True:
            item = self._queue.get()
            if item is _STOP:
                break
            if isinstance(item, _Load):
                self._load(item)
            elif isinstance(item, Request):
                # A newer request supersedes queued ones for the same widget.
                if item.exclusive and self._superseded(item):
                    self._queued_at.pop(item.id, None)
                    item.reply_to.post_message(
                        GenerationFinished(item.id, StreamStats(), cancelled=True)
                    )
                    continue
                self._generate(item)
        if self.engine is not None:
            self.engine.close()
            self.engine = None

    def _superseded(self, request: Request) -> bool:
        with self._queue.mutex:
            return any(
                isinstance(other, Request) and other.reply_to is request.reply_to
                for other in self._queue.queue
            )

    def _load(self, item: _Load) -> None:
        item.reply_to.post_message(ModelLoading(str(item.path)))
        try:
            engine = Engine.load(item.path, gpu_layers=item.gpu_layers, threads=item.threads)
        except QuillpenError as exc:
            item.reply_to.post_message(ModelFailed(str(item.path), str(exc)))
            return
        if self.engine is not None:
            self.engine.close()
        self.engine = engine
        item.reply_to.post_message(
            ModelReady(
                engine.name,
                str(engine.info.path),
                engine.info.file_type,
                engine.n_ctx_train,
                list(engine.notices),
            )
        )

    def _generate(self, request: Request) -> None:
        target = request.reply_to
        engine = self.engine
        self._cancel.clear()
        self._current = request.id  # from here on cancel() sets the event
        if self._queued_at.pop(request.id, self._cancels) != self._cancels:
            self._current = None
            target.post_message(GenerationFinished(request.id, StreamStats(), cancelled=True))
            return
        if engine is None:
            self._current = None
            target.post_message(
                GenerationFinished(request.id, StreamStats(), error="no model is loaded")
            )
            return
        stats = StreamStats()
        try:
            prompt = request.prompt(engine) if callable(request.prompt) else request.prompt
            stream = engine.stream(
                prompt,
                request.settings,
                max_tokens=request.max_tokens,
                stop=request.stop,
                cancel=self._cancel,
            )
            started = False
            buffer: list[str] = []
            last_flush = time.monotonic()
            for piece in stream:
                if not started:
                    started = True
                    s = engine.last_stats
                    target.post_message(
                        GenerationStarted(request.id, s.prompt_tokens, s.trimmed_tokens)
                    )
                buffer.append(piece)
                now = time.monotonic()
                if now - last_flush >= 1 / FLUSH_HZ:
                    self._flush(request, buffer, engine.last_stats)
                    last_flush = now
            self._flush(request, buffer, engine.last_stats)
            stats = engine.last_stats
            target.post_message(
                GenerationFinished(request.id, stats, cancelled=stats.stopped_by == "cancel")
            )
        except Exception as exc:  # the UI must hear about every failure, never hang
            log.exception("generation failed")
            target.post_message(GenerationFinished(request.id, stats, error=str(exc)))
        finally:
            self._current = None

    def _flush(self, request: Request, buffer: list[str], stats: StreamStats) -> None:
        if buffer:
            text = "".join(buffer)
            buffer.clear()
            request.reply_to.post_message(
                GenerationChunk(request.id, text, stats.generated_tokens, stats.tokens_per_second)
            )
