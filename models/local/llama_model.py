"""The loaded llama.cpp model: load a GPT-2 GGUF, tokenize, detokenize, fit a prompt.

:class:`LlamaModel` owns one ``llama_cpp.Llama`` and the lock that guards it: a llama.cpp
context is not thread-safe, so a model belongs to one thread (the engine process's request
loop); the lock makes misuse safe anyway. What runs on it sits above this module and calls
nothing back: :class:`~models.local.engine.Engine` (streams), :mod:`models.local.batch`
(several continuations, bans, token figures) and :mod:`models.local.scoring` (the surprise view).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple, TypeVar

from models.errors import QuillpenError
from models.llama_logs import clear_errors, load_failure_reason, route_llama_logs
from models.local.gguf_info import GgufInfo, read_info
from models.local.gpu import resolve_gpu_layers
from models.local.llama_params import load_params
from models.prompting.cjk import join_cjk
from models.stats import available_threads

if TYPE_CHECKING:
    from models.local.bans import Phrases

log = logging.getLogger("quillpen.engine")

EOT_TOKEN = 50256
MAX_SEQUENCES = 8
"""Sequences one batch may carry (alternatives generated together, :mod:`models.local.batch`)."""

M = TypeVar("M", bound="LlamaModel")


class Fitted(NamedTuple):
    """A prompt fitted to the window: its tokens, how many were cut from its front, and how
    many tokens may be written after it."""

    tokens: list[int]
    cut: int
    room: int


@dataclass
class LlamaModel:
    """A loaded model. Create with :meth:`load`."""

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
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    """Held while anything runs on ``llm`` (re-entrant: a method that holds it calls others)."""
    _pieces: dict[int, str] = field(default_factory=dict, repr=False)
    _vocab: list[bytes] = field(default_factory=list, repr=False)

    @classmethod
    def load(
        cls: type[M],
        path: str | os.PathLike[str],
        *,
        n_ctx: int | None = None,
        gpu_layers: int | str | None = 0,
        threads: int | None = None,
        extra_bufts: bool | None = None,
    ) -> M:
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
        with self.lock:
            return list(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))  # type: ignore[attr-defined]

    def detokenize(self, tokens: Sequence[int]) -> str:
        with self.lock:
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
        with self.lock:
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

    def fit_prompt(self, tokens: Sequence[int], max_tokens: int) -> Fitted:
        """The prompt that fits the window with ``max_tokens`` to write after it.

        The window is the model's trained context: the prompt keeps its end, the oldest
        tokens go, and at least one generated token always fits. A WordPiece model's prompt
        starts with [CLS] when nothing was cut (a document's start, as in its training).
        Every request is fitted here, once (:meth:`fit`).
        """
        window = self.window
        max_tokens = max(1, min(max_tokens, window - 1))
        budget = window - max_tokens
        start, tokens = list(self.prompt_start), list(tokens)
        if start and tokens[: len(start)] == start:
            tokens = tokens[len(start) :]
        if start and len(start) + len(tokens) <= budget:
            return Fitted(start + tokens, 0, max_tokens)
        tokens = tokens or [EOT_TOKEN]
        cut = max(0, len(tokens) - budget)
        return Fitted(tokens[cut:], cut, max_tokens)

    def fit(self, prompt: str | Sequence[int] | Fitted, max_tokens: int) -> Fitted:
        """``prompt`` (text, tokens, or already fitted: kept as it is) fitted to the window."""
        if isinstance(prompt, Fitted):
            return prompt
        raw = self.tokenize(prompt) if isinstance(prompt, str) else list(prompt)
        return self.fit_prompt(raw, max_tokens)

    def render_chat(self, messages: list[dict[str, str]]) -> str:
        """``messages`` through the GGUF's own chat template (:mod:`models.local.chat_format`);
        a model without one raises ``LookupError``."""
        from models.local.chat_format import render_chat

        if not self.info.chat_template:
            raise LookupError(f"{self.name} has no chat template")
        return render_chat(self.info.chat_template, messages)

    def close(self) -> None:
        with self.lock:
            close = getattr(self.llm, "close", None)
            if close:
                close()
