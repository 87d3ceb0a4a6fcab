"""The llama.cpp engine: load a GPT-2 GGUF, tokenize, stream continuations, cancel.

One ``Engine`` wraps one ``llama_cpp.Llama``. A llama.cpp context is not thread-safe, so an
engine belongs to one thread (the app's generation worker); a lock makes misuse safe anyway.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import logging
import os
import random
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from models.errors import QuillpenError
from models.llama_logs import clear_errors, load_failure_reason, route_llama_logs
from models.local.gguf_info import GgufInfo, read_info
from models.local.gpu import resolve_gpu_layers
from models.local.llama_params import free_sampler, load_params
from models.prompting.cjk import CjkJoiner, join_cjk
from models.sampling import SamplerSettings
from models.stats import StreamStats, available_threads

if TYPE_CHECKING:
    import numpy as np

    from models.local.bans import Phrases
    from models.local.batch import Piece
    from models.token_probs import TokenInfo

log = logging.getLogger("quillpen.engine")

EOT_TOKEN = 50256
MAX_SEQUENCES = 8
"""Sequences one batch may carry (alternatives generated together, :mod:`models.local.batch`)."""


@dataclass
class Engine:
    """A loaded model. Create with :meth:`Engine.load`."""

    info: GgufInfo
    llm: object
    n_ctx: int
    threads: int
    gpu_layers: int
    extra_bufts: bool = True
    eos_token: int = EOT_TOKEN
    prompt_start: tuple[int, ...] = ()  # before a document's start: [CLS] for WordPiece models
    wordpiece: bool = False  # a BERT WordPiece vocabulary: CJK text decodes without spaces
    n_seq_max: int = MAX_SEQUENCES
    notices: list[str] = field(default_factory=list)
    last_stats: StreamStats = field(default_factory=StreamStats)
    last_sequences: list[StreamStats] = field(default_factory=list)  # each, after generate()
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _pieces: dict[int, str] = field(default_factory=dict, repr=False)
    _vocab: list[bytes] = field(default_factory=list, repr=False)

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
        :func:`models.local.cpu_probe.decide` (probed once per machine where it matters).
        """
        info = read_info(path)
        if extra_bufts is None:
            from models.local.cpu_probe import decide

            extra_bufts = decide("auto").extra_bufts
        route_llama_logs()
        import llama_cpp

        ctx = min(n_ctx or info.n_ctx_train, info.n_ctx_train)
        layers, notice = resolve_gpu_layers(gpu_layers, os.path.getsize(path))
        n_threads = threads or available_threads()
        chatter = io.StringIO()
        clear_errors()
        try:
            # verbose=False would redirect file descriptors 1 and 2 (blanking a running TUI);
            # verbose=True prints with Python's print, which we capture and log instead.
            with (
                contextlib.redirect_stderr(chatter),
                contextlib.redirect_stdout(chatter),
                load_params(extra_bufts=extra_bufts, n_seq_max=MAX_SEQUENCES),
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
                f"{info.path}: llama.cpp could not load this model ({load_failure_reason(exc)})"
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
        model = llm._model
        if model.vocab_type() == llama_cpp.LLAMA_VOCAB_TYPE_WPM:  # BERT WordPiece: UER models
            engine.eos_token, engine.wordpiece = model.token_eos(), True  # [SEP]
            if llama_cpp.llama_vocab_get_add_bos(model.vocab):
                engine.prompt_start = (model.token_bos(),)  # [CLS]
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
        text = data.decode("utf-8", "replace")
        return join_cjk(text) if self.wordpiece else text

    @property
    def window(self) -> int:
        return self.n_ctx_train if self.n_ctx_train <= self.n_ctx else self.n_ctx

    def piece(self, token: int) -> str:
        """One token's text on its own (for lists of alternatives)."""
        if token not in self._pieces:
            self._pieces[token] = self.detokenize([token])
        return self._pieces[token]

    def tokens_containing(self, phrases: Phrases) -> list[int]:
        """Vocabulary tokens whose text holds one of ``phrases`` whole (banned outright)."""
        if not phrases:
            return []
        with self._lock:
            if not self._vocab:
                llm = self.llm
                self._vocab = [llm.detokenize([i]) for i in range(llm.n_vocab())]  # type: ignore[attr-defined]
        return phrases.tokens_containing(self._vocab, spaced=self.wordpiece)

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
        tokens go, and at least one generated token always fits. A WordPiece model's prompt
        starts with [CLS] when nothing was cut (a document's start, as in its training).
        """
        window = self.window
        max_tokens = max(1, min(max_tokens, window - 1))
        budget = window - max_tokens
        start, tokens = list(self.prompt_start), list(tokens)
        if start and tokens[: len(start)] == start:
            tokens = tokens[len(start) :]
        if start and len(start) + len(tokens) <= budget:
            return start + tokens, 0, max_tokens
        tokens = tokens or [EOT_TOKEN]
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
        joiner = CjkJoiner(self.detokenize(tokens[-1:])) if self.wordpiece else None
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
                    if token == self.eos_token:
                        stats.stopped_by = "eot"
                        break
                    stats.generated_tokens += 1
                    piece = decoder.decode(llm.detokenize([token]))  # type: ignore[attr-defined]
                    pending += joiner.feed(piece) if joiner else piece
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
                free_sampler(llm)
                stats.seconds = time.perf_counter() - start
        if stats.stopped_by != "cancel":
            pending += decoder.decode(b"", final=True) + (joiner.flush() if joiner else "")
            if pending:
                yield pending

    def generate(
        self,
        prompt: str | Sequence[int],
        settings: SamplerSettings | None = None,
        *,
        n: int = 1,
        max_tokens: int = 80,
        stop: Sequence[str] = (),
        bans: Sequence[str] = (),
        probabilities: int = 0,
        cancel: threading.Event | None = None,
    ) -> Iterator[Piece]:
        """``n`` continuations in one batch (``max_tokens`` each), never containing ``bans``,
        with each token's figures when ``probabilities`` (the alternatives to list) > 0; see
        :mod:`models.local.batch`. ``last_stats`` counts them all, ``last_sequences`` each one."""
        from models.local import batch

        if not 1 <= n <= self.n_seq_max:
            raise QuillpenError(f"from 1 to {self.n_seq_max} continuations at a time, not {n}")
        settings = settings or SamplerSettings()
        raw = self.tokenize(prompt) if isinstance(prompt, str) else list(prompt)
        tokens, cut, room = self.fit_prompt(raw, max_tokens * n)  # the window holds them all
        self.last_stats = StreamStats(prompt_tokens=len(tokens), trimmed_tokens=cut)
        self.last_sequences = []
        seed = settings.seed if settings.seed is not None else random.getrandbits(31)
        with self._lock:
            yield from batch.run(
                self,
                tokens,
                settings,
                n=n,
                max_tokens=max(1, min(max_tokens, room // n)),
                stop=stop,
                bans=bans,
                probabilities=probabilities,
                seed=seed,
                stats=self.last_stats,
                per_seq=self.last_sequences,
                cancel=cancel,
            )

    def score(
        self, text: str, top: int = 10, cancel: threading.Event | None = None
    ) -> list[TokenInfo]:
        """Each token of ``text`` with its probability, rank and ``top`` alternatives, the first
        after an end-of-text token (:mod:`models.local.scoring`)."""
        from models.local.scoring import score

        with self._lock:
            return score(self, text, top, cancel)

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
