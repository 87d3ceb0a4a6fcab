"""The llama.cpp engine: load a GPT-2 GGUF, tokenize, stream continuations, cancel.

One ``Engine`` wraps one ``llama_cpp.Llama``. A llama.cpp context is not thread-safe, so an
engine belongs to one thread (the app's generation worker); a lock makes misuse safe anyway.
"""

from __future__ import annotations

import codecs
import contextlib
import ctypes
import io
import logging
import os
import random
import re
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from models.errors import QuillpenError
from models.gguf_info import GgufInfo, read_info
from models.sampling import SamplerSettings

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger("quillpen.engine")
llama_log = logging.getLogger("llama_cpp")

EOT_TOKEN = 50256
# ggml_log_level: NONE=0, DEBUG=1, INFO=2, WARN=3, ERROR=4, CONT=5 (continues the last line).
_LEVELS = {1: logging.DEBUG, 2: logging.INFO, 3: logging.WARNING, 4: logging.ERROR}
_log_callback = None  # keeps the ctypes callback alive
# llama.cpp's recent ERROR lines: a failed load says why only there (and logging may be quiet).
_errors: deque[str] = deque(maxlen=8)
_FUNC_PREFIX = re.compile(r"^(\w+: )+")


def route_llama_logs() -> None:
    """Send llama.cpp's C-side logs to Python logging instead of the terminal."""
    global _log_callback
    if _log_callback is not None:
        return
    import llama_cpp

    @llama_cpp.llama_log_callback  # type: ignore[untyped-decorator,misc]
    def _callback(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
        msg = text.decode("utf-8", "replace").rstrip()
        if msg:
            if level == 4:
                _errors.append(msg)
            llama_log.log(_LEVELS.get(level, logging.DEBUG), "%s", msg)

    _log_callback = _callback
    llama_cpp.llama_log_set(_callback, ctypes.c_void_p(0))


def _load_failure_reason(exc: BaseException) -> str:
    """Why llama.cpp refused a model: its first error line, without function-name prefixes."""
    for line in _errors:
        reason = line.strip()
        while True:  # "llama_model_load: error loading model: check_tensor_dims: tensor ..."
            shorter = _FUNC_PREFIX.sub("", reason).removeprefix("error loading model: ")
            if shorter == reason:
                break
            reason = shorter
        if reason and "failed to load model" not in reason:
            return " ".join(reason.split())
    return str(exc)


def _free_sampler(llm: object) -> None:
    """Free the sampler llama-cpp-python made for the last ``generate`` now, not at some GC.

    A ``LlamaSampler`` sits in a reference cycle (it and its ExitStack callback), so only
    Python's cyclic GC frees it, and with it ~0.6 MB of native buffers (GPT-2's vocabulary):
    without this, bench/soak.py's RSS grows ~30 MB over a few thousand generations.
    """
    sampler = getattr(llm, "_sampler", None)
    if sampler is not None and hasattr(sampler, "close"):
        llm._sampler = None  # type: ignore[attr-defined]  # sample() makes one when needed
        sampler.close()


@contextlib.contextmanager
def _model_params(*, extra_bufts: bool) -> Iterator[None]:
    """Make ``Llama()`` build its model params with ``use_extra_bufts`` as given.

    llama-cpp-python (0.3.x) fills ``llama_model_params`` inside ``Llama.__init__`` from
    ``llama_model_default_params()`` and offers no argument for this field, so the default
    maker is wrapped for the duration of one load (loads happen on one thread).
    """
    import llama_cpp.llama_cpp as lib

    if extra_bufts:
        yield
        return
    original = lib.llama_model_default_params

    def params() -> object:
        p = original()
        p.use_extra_bufts = False
        return p

    lib.llama_model_default_params = params
    try:
        yield
    finally:
        lib.llama_model_default_params = original


def available_threads() -> int:
    """The CPUs this process may run on (not half the machine, as llama-cpp-python assumes)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def gpu_offload_supported() -> bool:
    import llama_cpp

    return bool(llama_cpp.llama_supports_gpu_offload())


def resolve_gpu_layers(gpu_layers: int | str | None) -> tuple[int, str | None]:
    """(layers to offload, notice for the user or None). ``auto`` offloads all when possible."""
    if gpu_layers in (None, 0, "0"):
        return 0, None
    supported = gpu_offload_supported()
    if gpu_layers == "auto":
        return (-1 if supported else 0), None
    try:
        layers = int(gpu_layers)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise QuillpenError(f"--gpu-layers takes a number or 'auto', not {gpu_layers!r}") from None
    if layers and not supported:
        return 0, (
            "this llama.cpp build cannot offload to a GPU; running on the CPU "
            '(reinstall llama-cpp-python with CMAKE_ARGS="-DGGML_CUDA=on" or "-DGGML_METAL=on")'
        )
    return layers, None


@dataclass
class StreamStats:
    """Facts about the last stream, for the status bar and benchmarks."""

    prompt_tokens: int = 0
    trimmed_tokens: int = 0
    generated_tokens: int = 0
    seconds: float = 0.0
    stopped_by: str = ""

    @property
    def tokens_per_second(self) -> float:
        return self.generated_tokens / self.seconds if self.seconds > 0 else 0.0


@dataclass
class Engine:
    """A loaded model. Create with :meth:`Engine.load`."""

    info: GgufInfo
    llm: object
    n_ctx: int
    threads: int
    gpu_layers: int
    extra_bufts: bool = True
    notices: list[str] = field(default_factory=list)
    last_stats: StreamStats = field(default_factory=StreamStats)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str],
        *,
        n_ctx: int | None = None,
        gpu_layers: int | str | None = 0,
        threads: int | None = None,
        extra_bufts: bool | None = None,
    ) -> Engine:
        """Validate and load ``path``. ``n_ctx`` is clamped to the model's trained context.

        ``extra_bufts=False`` loads without llama.cpp's extra buffer types (the AMX and CPU
        repack buffers), which crash the first decode on some CPUs; ``None`` asks
        :func:`models.cpu_probe.decide` (probed once per machine where it matters).
        """
        info = read_info(path)
        if extra_bufts is None:
            from models.cpu_probe import decide

            extra_bufts = decide("auto").extra_bufts
        route_llama_logs()
        import llama_cpp

        ctx = min(n_ctx or info.n_ctx_train, info.n_ctx_train)
        layers, notice = resolve_gpu_layers(gpu_layers)
        n_threads = threads or available_threads()
        chatter = io.StringIO()
        _errors.clear()
        try:
            # verbose=False would redirect file descriptors 1 and 2 (blanking a running TUI);
            # verbose=True prints with Python's print, which we capture and log instead.
            with (
                contextlib.redirect_stderr(chatter),
                contextlib.redirect_stdout(chatter),
                _model_params(extra_bufts=extra_bufts),
            ):
                llm = llama_cpp.Llama(
                    model_path=str(info.path),
                    n_ctx=ctx,
                    n_batch=min(512, ctx),
                    n_threads=n_threads,
                    n_threads_batch=n_threads,
                    n_gpu_layers=layers,
                    last_n_tokens_size=256,
                    verbose=True,
                )
        except (ValueError, RuntimeError, OSError) as exc:
            raise QuillpenError(
                f"{info.path}: llama.cpp could not load this model ({_load_failure_reason(exc)})"
            ) from None
        finally:
            log.debug("llama-cpp-python: %s", chatter.getvalue())
        llm.verbose = False
        engine = cls(
            info=info,
            llm=llm,
            n_ctx=ctx,
            threads=n_threads,
            gpu_layers=layers,
            extra_bufts=extra_bufts,
        )
        if notice:
            engine.notices.append(notice)
        return engine

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def n_ctx_train(self) -> int:
        return self.info.n_ctx_train

    def tokenize(self, text: str) -> list[int]:
        if not text:
            return []
        with self._lock:
            return list(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))  # type: ignore[attr-defined]

    def detokenize(self, tokens: Sequence[int]) -> str:
        with self._lock:
            data: bytes = self.llm.detokenize(list(tokens))  # type: ignore[attr-defined]
        return data.decode("utf-8", "replace")

    def set_threads(self, threads: int) -> None:
        """Threads for the next decodes (between tokens; the app frees a core while you type)."""
        import llama_cpp

        threads = max(1, threads)
        llama_cpp.llama_set_n_threads(self.llm.ctx, threads, threads)  # type: ignore[attr-defined]

    def count_tokens(self, text: str) -> int:
        return len(self.tokenize(text))

    def fit_prompt(self, tokens: Sequence[int], max_tokens: int) -> tuple[list[int], int, int]:
        """(prompt tokens that fit, tokens cut from the front, max_tokens allowed).

        The window is the model's trained context: the prompt keeps its end, the oldest
        tokens go, and at least one generated token always fits.
        """
        window = self.n_ctx_train if self.n_ctx_train <= self.n_ctx else self.n_ctx
        max_tokens = max(1, min(max_tokens, window - 1))
        budget = window - max_tokens
        tokens = list(tokens) or [EOT_TOKEN]
        cut = max(0, len(tokens) - budget)
        return tokens[cut:], cut, max_tokens

    def stream(
        self,
        prompt: str | Sequence[int],
        settings: SamplerSettings | None = None,
        *,
        max_tokens: int = 80,
        stop: Sequence[str] = (),
        cancel: threading.Event | None = None,
    ) -> Iterator[str]:
        """Yield the continuation of ``prompt`` piece by piece.

        Stops at end of text, at ``max_tokens``, before any ``stop`` string, or within one
        token of ``cancel`` being set. Text is yielded only once it cannot begin a stop string.
        """
        settings = settings or SamplerSettings()
        raw = self.tokenize(prompt) if isinstance(prompt, str) else list(prompt)
        tokens, cut, max_tokens = self.fit_prompt(raw, max_tokens)
        stats = StreamStats(prompt_tokens=len(tokens), trimmed_tokens=cut)
        self.last_stats = stats
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        stops = [s for s in stop if s]
        hold = max((len(s) for s in stops), default=1) - 1
        pending = ""
        start = time.perf_counter()
        with self._lock:
            llm = self.llm
            seed = settings.seed if settings.seed is not None else random.getrandbits(31)
            llm.set_seed(seed)  # type: ignore[attr-defined]
            gen = llm.generate(  # type: ignore[attr-defined]
                tokens,
                top_k=settings.top_k,
                top_p=settings.top_p,
                min_p=settings.min_p,
                temp=settings.temperature,
                repeat_penalty=settings.repeat_penalty,
            )
            try:
                for token in gen:
                    if cancel is not None and cancel.is_set():
                        stats.stopped_by = "cancel"
                        break
                    if token == EOT_TOKEN:
                        stats.stopped_by = "eot"
                        break
                    stats.generated_tokens += 1
                    pending += decoder.decode(llm.detokenize([token]))  # type: ignore[attr-defined]
                    hit = min((i for s in stops if (i := pending.find(s)) >= 0), default=-1)
                    if hit >= 0:
                        if hit:
                            yield pending[:hit]
                        pending = ""
                        stats.stopped_by = "stop"
                        break
                    if stats.generated_tokens >= max_tokens:
                        stats.stopped_by = "length"
                        break
                    safe = len(pending) - hold if stops else len(pending)
                    if safe > 0:
                        yield pending[:safe]
                        pending = pending[safe:]
                    stats.seconds = time.perf_counter() - start
                else:
                    stats.stopped_by = "eot"
            finally:
                gen.close()
                _free_sampler(llm)
                stats.seconds = time.perf_counter() - start
        if stats.stopped_by != "cancel":
            pending += decoder.decode(b"", final=True)
            if pending:
                yield pending

    def next_logits(self, prompt: str | Sequence[int]) -> np.ndarray:
        """Raw next-token logits after ``prompt`` (fitted to the window), as float32."""
        import llama_cpp
        import numpy as np

        raw = self.tokenize(prompt) if isinstance(prompt, str) else list(prompt)
        tokens, _, _ = self.fit_prompt(raw, 1)
        with self._lock:
            llm = self.llm
            llm.reset()  # type: ignore[attr-defined]
            llm.eval(tokens)  # type: ignore[attr-defined]
            ptr = llama_cpp.llama_get_logits_ith(llm.ctx, -1)  # type: ignore[attr-defined]
            n_vocab = llm.n_vocab()  # type: ignore[attr-defined]
            return np.ctypeslib.as_array(ptr, shape=(n_vocab,)).astype(np.float32)

    def complete(self, prompt: str, settings: SamplerSettings | None = None, **kw: object) -> str:
        """The whole continuation as one string."""
        return "".join(self.stream(prompt, settings, **kw))  # type: ignore[arg-type]

    def close(self) -> None:
        with self._lock:
            close = getattr(self.llm, "close", None)
            if close:
                close()
