"""Generation with more than text: alternatives in one batch, token insight, banned phrases.

:func:`run` drives llama.cpp's low-level API for one request of ``n`` sequences:

- The prompt is decoded once (reusing the KV cache's common prefix, as ``Llama.generate``
  does) into sequence 0, then copied to sequences 1…n-1 with ``llama_memory_seq_cp``: in the
  unified KV cache the copies share the prompt's cells.
- Each step is **one** ``llama_decode`` carrying one token of every live sequence; each
  sequence samples from its own row of logits with its own sampler (seed, seed+1, …).
- Sampling matches ``Llama.generate``: the repeat penalty over the sequence's own generated
  tokens, then llama.cpp's chain (top-k, typical, top-p, min-p, temperature, dist). The penalty
  is applied here (cheap: only the repeated tokens) so a rollback can rewind it.
- Token insight (:mod:`models.token_probs`) is read from the same logits row before sampling.
- Banned phrases and stop strings (:mod:`models.local.bans`): a sequence that completes a banned
  phrase rolls back to where it began (``llama_memory_seq_rm``) and resamples with that token
  banned there; text is held back while it may still become a banned phrase or a stop string.

Text comes out as :class:`Piece` s, each a sequence's next safe text with its tokens' figures.
"""

from __future__ import annotations

import codecs
import copy
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from models.local.bans import Phrases
from models.local.token_sampler import Sampler, candidates_template
from models.sampling import SamplerSettings
from models.stats import StreamStats
from models.token_probs import Insight, TokenInfo, clamp_top, insight

if TYPE_CHECKING:
    import numpy as np

    from models.local.llama_model import LlamaModel

MAX_ROLLBACKS = 500
"""Per sequence: after this many, it ends (``stopped_by`` "ban") rather than search forever."""


@dataclass(frozen=True)
class Piece:
    """Text of sequence ``seq`` that will not change, with its tokens (probabilities on)."""

    seq: int
    text: str
    tokens: tuple[TokenInfo, ...] = ()


@dataclass
class _Seq:
    """One sequence's tokens, text and bans (token j sits at position ``start + j``)."""

    index: int
    sampler: Sampler
    decoder: Any
    joiner: Any
    tokens: list[int] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    states: list[tuple[Any, Any]] = field(default_factory=list)
    insights: list[Insight | None] = field(default_factory=list)
    bans_at: dict[int, set[int]] = field(default_factory=dict)
    emitted: int = 0
    decoded: int = 0
    rollbacks: int = 0
    stopped_by: str = ""
    cut: int | None = None  # a stop string's offset in the unsent text
    closed: bool = False  # its last text went out
    pending: tuple[int, int] | None = None  # (token, position) to decode next

    def unsent(self) -> str:
        return "".join(self.texts[self.emitted :])

    def push(self, token: int, data: bytes, info: Insight | None) -> None:
        self.states.append((self.decoder.getstate(), copy.copy(self.joiner)))
        text = self.decoder.decode(data)
        self.tokens.append(token)
        self.texts.append(self.joiner.feed(text) if self.joiner else text)
        self.insights.append(info)

    def rollback(self, k: int) -> None:
        """Back to before token ``k``, which becomes banned at that position."""
        banned = self.tokens[k]
        self.bans_at = {j: b for j, b in self.bans_at.items() if j <= k}  # later ones lapse
        self.bans_at.setdefault(k, set()).add(banned)
        state, joiner = self.states[k]
        self.decoder.setstate(state)
        self.joiner = joiner
        for items in (self.tokens, self.texts, self.states, self.insights):
            del items[k:]
        self.rollbacks += 1

    def token_at(self, offset: int) -> int:
        """The unsent token holding character ``offset`` of the unsent text (the first of the
        tokens that spell it, when a character's bytes span several)."""
        pos, k = 0, self.emitted
        while k < len(self.texts) - 1 and pos + len(self.texts[k]) <= offset:
            pos += len(self.texts[k])
            k += 1
        while k > self.emitted and not self.texts[k - 1]:
            k -= 1
        return k


class _Batch:
    """A ``llama_batch`` for one token per sequence, all with logits."""

    def __init__(self, size: int) -> None:
        import llama_cpp

        self.lib = llama_cpp
        self.batch = llama_cpp.llama_batch_init(size, 0, 1)

    def decode(self, ctx: object, entries: Sequence[tuple[int, int, int]]) -> None:
        """``entries``: (token, position, sequence)."""
        b = self.batch
        b.n_tokens = len(entries)
        for i, (token, pos, seq) in enumerate(entries):
            b.token[i], b.pos[i], b.n_seq_id[i], b.logits[i] = token, pos, 1, 1
            b.seq_id[i][0] = seq
        if self.lib.llama_decode(ctx, b) != 0:
            raise RuntimeError("llama_decode failed (the KV cache is full?)")

    def close(self) -> None:
        self.lib.llama_batch_free(self.batch)


def _eval_prompt(llm: Any, tokens: list[int], n_seq_max: int) -> None:
    """Decode ``tokens`` into sequence 0 of an emptied cache, keeping the common prefix of
    what it held (``Llama``'s own bookkeeping stays true, so ``Llama.generate`` reuses it)."""
    import llama_cpp

    mem = llama_cpp.llama_get_memory(llm.ctx)
    for s in range(1, n_seq_max):
        llama_cpp.llama_memory_seq_rm(mem, s, -1, -1)
    prefix = 0
    for a, b in zip(llm._input_ids, tokens, strict=False):
        if a != b:
            break
        prefix += 1
    reuse = min(prefix, len(tokens) - 1)
    if reuse > 0 and llm._ctx.kv_cache_seq_rm(0, reuse, -1):
        llm.n_tokens = reuse
    else:
        llm.reset()
    llm.eval(tokens[llm.n_tokens :])


def run(
    model: LlamaModel,
    tokens: list[int],
    settings: SamplerSettings,
    *,
    n: int,
    max_tokens: int,
    stop: Sequence[str],
    bans: Sequence[str],
    probabilities: int,
    seed: int,
    stats: StreamStats,
    per_seq: list[StreamStats],
    cancel: threading.Event | None = None,
) -> Iterator[Piece]:
    """Generate ``n`` continuations of the fitted prompt ``tokens`` (caller holds the lock).

    ``stats`` (all sequences) and ``per_seq`` (one each) are kept up to date as it runs.
    """
    import llama_cpp
    import numpy as np

    from models.prompting.cjk import CjkJoiner

    llm: Any = model.llm
    ctx, n_vocab = llm.ctx, llm.n_vocab()
    probabilities = clamp_top(probabilities)
    start, prompt_len = time.perf_counter(), len(tokens)
    banned, stops = Phrases(bans), Phrases(stop)
    always = np.asarray(model.tokens_containing(banned), dtype=np.int64)
    reach = banned.longest - 1  # a phrase may begin this many characters before the text
    tail = model.detokenize(tokens[-reach:])[-reach:] if reach > 0 else ""
    template = candidates_template(n_vocab)
    scratch = np.empty(n_vocab, dtype=np.float32)
    seqs = [
        _Seq(
            i,
            Sampler(settings, (seed + i) & 0xFFFFFFFF, template),
            codecs.getincrementaldecoder("utf-8")("replace"),
            CjkJoiner(model.detokenize(tokens[-1:])) if model.wordpiece else None,
        )
        for i in range(n)
    ]
    per_seq[:] = [StreamStats(prompt_len, stats.trimmed_tokens) for _ in seqs]
    mem = llama_cpp.llama_get_memory(ctx)
    batch = _Batch(n)
    piece_text: Callable[[int], str] = model.piece
    failed = True

    def advance(seq: _Seq, logits: np.ndarray) -> None:
        """Sample the sequence's next token; then it has one to decode, or it has ended."""
        while True:
            j = len(seq.tokens)
            here = seq.bans_at.get(j)
            ban_here = np.concatenate([always, sorted(here)]) if here else always
            token = seq.sampler.sample(logits, seq.tokens, ban_here)
            info = insight(logits, token, probabilities, scratch) if probabilities else None
            if token == model.eos_token:
                seq.stopped_by = "eot"
                return
            seq.push(token, llm.detokenize([token]), info)
            context = tail if seq.emitted == 0 else ""
            hit = banned.find(context + seq.unsent(), len(context)) if banned else -1
            if hit >= 0:
                if seq.rollbacks >= MAX_ROLLBACKS:  # never sent: it goes, and the sequence ends
                    seq.rollback(j)
                    seq.stopped_by = "ban"
                    return
                k = seq.token_at(hit - len(context)) if hit >= len(context) else seq.emitted
                seq.rollback(k)
                if k == 0:  # the prompt's own logits serve again
                    llama_cpp.llama_memory_seq_rm(mem, seq.index, prompt_len, -1)
                    seq.decoded, logits = 0, prompt_logits
                    continue
                llama_cpp.llama_memory_seq_rm(mem, seq.index, prompt_len + k - 1, -1)
                seq.decoded = k - 1
                seq.pending = (seq.tokens[k - 1], prompt_len + k - 1)  # decode it again
                return
            found = stops.find(seq.unsent()) if stops else -1
            if found >= 0:
                seq.cut, seq.stopped_by = found, "stop"
            elif len(seq.tokens) >= max_tokens:
                seq.stopped_by = "length"
            else:
                seq.pending = (token, prompt_len + j)
            return

    def ready(seq: _Seq) -> Piece | None:
        """The sequence's text that can no longer change, as a piece."""
        if seq.closed:
            return None
        unsent = seq.unsent()
        if seq.cut is not None:
            hold = seq.cut
        elif seq.stopped_by:
            hold = len(unsent)
        else:
            context = tail if seq.emitted == 0 else ""
            hold = len(unsent)
            if banned:
                hold = max(0, banned.partial_start(context + unsent) - len(context))
            if stops:
                hold = min(hold, stops.partial_start(unsent))
        end, pos = seq.emitted, 0
        while end < len(seq.texts) and pos + len(seq.texts[end]) <= hold:
            pos += len(seq.texts[end])
            end += 1
        if seq.cut is None and not seq.stopped_by:
            while end > seq.emitted and not seq.texts[end - 1]:
                end -= 1  # a character still incomplete: its tokens wait together
        out, infos = seq.texts[seq.emitted : end], seq.insights[seq.emitted : end]
        if seq.cut is not None and end < len(seq.texts) and pos < hold:
            out.append(seq.texts[end][: hold - pos])  # the token a stop string begins in
            infos.append(seq.insights[end])
        if seq.stopped_by:
            seq.closed = True
            if seq.cut is None:
                rest = seq.decoder.decode(b"", final=True) + (
                    seq.joiner.flush() if seq.joiner else ""
                )
                if rest and out:
                    out[-1] += rest
                elif rest:
                    out, infos = [rest], [None]
        seq.emitted = end
        if not out:
            return None
        details = tuple(i.info(t, piece_text) for t, i in zip(out, infos, strict=True) if i)
        return Piece(seq.index, "".join(out), details)

    try:
        _eval_prompt(llm, tokens, model.n_seq_max)
        logits_ptr = llama_cpp.llama_get_logits_ith(ctx, -1)
        prompt_logits = np.ctypeslib.as_array(logits_ptr, shape=(n_vocab,)).copy()
        for s in range(1, n):
            llama_cpp.llama_memory_seq_cp(mem, 0, s, -1, -1)
        rows: dict[int, np.ndarray] = {s.index: prompt_logits for s in seqs}
        while True:
            for seq in seqs:
                if seq.index in rows and not seq.stopped_by:
                    advance(seq, rows[seq.index])
            for seq in seqs:
                per_seq[seq.index].generated_tokens = len(seq.tokens)
                per_seq[seq.index].stopped_by = seq.stopped_by
            stats.generated_tokens = sum(len(s.tokens) for s in seqs)
            stats.seconds = time.perf_counter() - start
            for seq in seqs:
                piece = ready(seq)
                if piece is not None:
                    yield piece
            live = [s for s in seqs if not s.stopped_by and s.pending is not None]
            if not live:
                break
            if cancel is not None and cancel.is_set():
                for seq in live:
                    seq.stopped_by = per_seq[seq.index].stopped_by = "cancel"
                break
            entries = [(*s.pending, s.index) for s in live if s.pending is not None]
            batch.decode(ctx, entries)
            rows = {}
            for i, seq in enumerate(live):
                assert seq.pending is not None
                seq.decoded = seq.pending[1] - prompt_len + 1
                seq.pending = None
                ptr = llama_cpp.llama_get_logits_ith(ctx, i)
                rows[seq.index] = np.ctypeslib.as_array(ptr, shape=(n_vocab,))
        failed = False
    except GeneratorExit:  # the caller stopped reading: the cache is as the last step left it
        failed = False
        raise
    finally:
        batch.close()
        for seq in seqs:
            seq.sampler.close()
        _keep_sequence_zero(llm, tokens, seqs[0], mem, n, failed)
        stats.seconds = time.perf_counter() - start
        for item in per_seq:
            item.seconds = stats.seconds
        reasons = [s.stopped_by for s in seqs]
        stats.stopped_by = "cancel" if "cancel" in reasons else reasons[0]


def _keep_sequence_zero(
    llm: Any, prompt: list[int], seq: _Seq, mem: object, n: int, failed: bool
) -> None:
    """Drop sequences 1…n-1 and tell ``Llama`` what sequence 0 now holds (the prompt and the
    generated tokens decoded), so the next ``Llama.generate`` reuses it."""
    import llama_cpp

    for s in range(1, n):
        llama_cpp.llama_memory_seq_rm(mem, s, -1, -1)
    if failed:  # a failed decode leaves the cache unknown: start afresh next time
        llama_cpp.llama_memory_clear(mem, True)
        llm.n_tokens = 0
        return
    kept = seq.tokens[: seq.decoded]
    llama_cpp.llama_memory_seq_rm(mem, 0, len(prompt) + len(kept), -1)
    llm.input_ids[len(prompt) : len(prompt) + len(kept)] = kept
    llm.n_tokens = len(prompt) + len(kept)
    if hasattr(llm, "_requires_eval"):
        llm._requires_eval = True
