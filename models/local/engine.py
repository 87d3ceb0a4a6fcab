"""The llama.cpp engine: stream continuations of a prompt, write several at once, score text.

:class:`Engine` is the loaded model (:class:`~models.local.llama_model.LlamaModel`: load,
tokenize, fit the prompt, the lock) with what runs on it. It lives in the engine process
(:mod:`models.local.process`), one request at a time; batches and scoring are their own
modules below it (:mod:`models.local.batch`, :mod:`models.local.scoring`), which take the
model, not the engine.
"""

from __future__ import annotations

import codecs
import random
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from models.errors import QuillpenError
from models.local import batch
from models.local.llama_model import Fitted, LlamaModel
from models.local.llama_params import free_sampler
from models.local.scoring import score
from models.prompting.cjk import CjkJoiner
from models.sampling import SamplerSettings
from models.stats import StreamStats

if TYPE_CHECKING:
    from models.local.batch import Piece
    from models.token_probs import TokenInfo


@dataclass
class Engine(LlamaModel):
    """A loaded model that writes. Create with :meth:`Engine.load`."""

    last_stats: StreamStats = field(default_factory=StreamStats)
    last_sequences: list[StreamStats] = field(default_factory=list)  # each, after generate()

    def stream(
        self,
        prompt: str | Sequence[int] | Fitted,
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
        tokens, cut, max_tokens = self.fit(prompt, max_tokens)
        stats = StreamStats(prompt_tokens=len(tokens), trimmed_tokens=cut)
        self.last_stats = stats
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        joiner = CjkJoiner(self.detokenize(tokens[-1:])) if self.wordpiece else None
        stops = [s for s in stop if s]
        hold = max((len(s) for s in stops), default=1) - 1
        pending = ""
        start = time.perf_counter()
        with self.lock:
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
        prompt: str | Sequence[int] | Fitted,
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
        if not 1 <= n <= self.n_seq_max:
            raise QuillpenError(f"from 1 to {self.n_seq_max} continuations at a time, not {n}")
        settings = settings or SamplerSettings()
        tokens, cut, room = self.fit(prompt, max_tokens * n)  # the window holds them all
        self.last_stats = StreamStats(prompt_tokens=len(tokens), trimmed_tokens=cut)
        self.last_sequences = []
        seed = settings.seed if settings.seed is not None else random.getrandbits(31)
        with self.lock:
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
        with self.lock:
            return score(self, text, top, cancel)

    def complete(self, prompt: str, settings: SamplerSettings | None = None, **kw: object) -> str:
        """The whole continuation as one string."""
        return "".join(self.stream(prompt, settings, **kw))  # type: ignore[arg-type]
