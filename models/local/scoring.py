"""Scoring the writer's own text: how likely the model found each token (the "surprise" view).

The text is tokenized and put after an end-of-text token (a document's start, as GPT-2 saw in
training; [CLS] for a WordPiece model), then decoded in batches that ask llama.cpp for the
logits of *every* position (``llama_batch.logits`` set for each token; no ``logits_all``
context). Row ``t - 1`` of those logits scores token ``t``: its probability and rank under the
pre-sampling softmax, and the most likely alternatives (:func:`models.token_probs.score_rows`).

GPT-2's positions stop at its window (1024), so longer texts are scored in windows that
overlap by half: every token after the first window is scored with at least half a window of
text before it. Positions restart at 0 in each window (GPT-2's position embeddings are
absolute, so a KV cache cannot be shifted).
"""

from __future__ import annotations

import codecs
import threading
from typing import TYPE_CHECKING, Any

from models.token_probs import TokenInfo, clamp_top, score_rows

if TYPE_CHECKING:
    from models.local.llama_model import LlamaModel

CHUNK = 128
"""Tokens per decode. Each needs a row of logits: 128 × 50,257 floats is 26 MB, which llama.cpp
keeps allocated afterwards, so larger chunks (no faster on a CPU) would cost memory for good."""


def score(
    model: LlamaModel, text: str, top: int, cancel: threading.Event | None = None
) -> list[TokenInfo]:
    """Each token of ``text`` with its figures (caller holds the model's lock). Stops early,
    with what it has scored, when ``cancel`` is set."""
    import llama_cpp
    import numpy as np

    llm: Any = model.llm
    top = clamp_top(top)
    ids = model.tokenize(text)
    if not ids:
        return []
    lead = list(model.prompt_start) or [model.eos_token]
    seq = lead + ids
    window = model.window
    stride = max(1, window // 2)
    n_vocab = llm.n_vocab()
    ctx = llm.ctx
    mem = llama_cpp.llama_get_memory(ctx)
    batch = llama_cpp.llama_batch_init(CHUNK, 0, 1)
    found: list[tuple[float, int, list[tuple[int, float]]]] = []
    try:
        target, begin = len(lead), 0
        stopped = False
        while target < len(seq) and not stopped:
            end = min(len(seq), begin + window)
            last = min(len(seq) - 1, end)  # the window's last row scores the token after it
            llama_cpp.llama_memory_clear(mem, True)
            for lo in range(begin, end, CHUNK):
                if cancel is not None and cancel.is_set():  # within a decode of 128 tokens
                    stopped = True
                    break
                hi = min(end, lo + CHUNK)
                wanted = [p for p in range(lo, hi) if target <= p + 1 <= last]
                batch.n_tokens = hi - lo
                for i, p in enumerate(range(lo, hi)):
                    batch.token[i], batch.pos[i], batch.n_seq_id[i] = seq[p], p - begin, 1
                    batch.seq_id[i][0] = 0
                    batch.logits[i] = target <= p + 1 <= last
                if llama_cpp.llama_decode(ctx, batch) != 0:
                    raise RuntimeError("llama_decode failed while scoring")
                if wanted:
                    ptr = llama_cpp.llama_get_logits(ctx)
                    rows = np.ctypeslib.as_array(ptr, shape=(len(wanted), n_vocab))
                    found += score_rows(rows, [seq[p + 1] for p in wanted], top)
            target = last + 1
            begin = max(begin + 1, target - (window - stride))
    finally:
        llama_cpp.llama_batch_free(batch)
        llama_cpp.llama_memory_clear(mem, True)
        llm.n_tokens = 0
    texts = _token_texts(model, ids[: len(found)])
    return [
        TokenInfo(t, i, p, r, tuple((model.piece(a), q) for a, q in alts))
        for t, i, (p, r, alts) in zip(texts, ids, found, strict=False)
    ]


def _token_texts(model: LlamaModel, ids: list[int]) -> list[str]:
    """Each token's share of the text (a character whose bytes span tokens goes to the last)."""
    from models.prompting.cjk import CjkJoiner

    llm: Any = model.llm
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    joiner = CjkJoiner() if model.wordpiece else None
    texts = []
    for token in ids:
        piece = decoder.decode(llm.detokenize([token]))
        texts.append(joiner.feed(piece) if joiner else piece)
    rest = decoder.decode(b"", final=True) + (joiner.flush() if joiner else "")
    if texts and rest:
        texts[-1] += rest
    return texts
