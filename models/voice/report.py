"""How well a voice learned: held-out perplexity and bits per character, base against tuned,
both scored by llama.cpp on the quantized files (same window and stride: the engine's scorer);
the in-context baseline; and a memorization check on samples.

Each held-out piece is scored on its own, after an end-of-text token, as in training. Bits per
character (nats / ln 2 / characters) compare fairly across tokenizers.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from models.errors import QuillpenError
from models.voice import place

IN_CONTEXT_TOKENS = 500
MEMORIZED_WORDS = 12
"""A run of this many words shared with the training text is reported as memorized."""


def score_pieces(model: Path, pieces: list[str], prefix: str = "") -> dict[str, float]:
    """Perplexity and bits per character of ``pieces``, each after ``prefix`` (not counted)."""
    from models.local.engine import Engine

    engine = Engine.load(model)
    try:
        nats, tokens, chars = 0.0, 0, 0
        for piece in pieces:
            skip = len(engine.tokenize(prefix)) if prefix else 0
            infos = engine.score(prefix + piece, top=1)[skip:]
            nats -= sum(math.log(max(i.prob, 1e-30)) for i in infos)
            tokens += len(infos)
            chars += len(piece)
    finally:
        engine.close()
    if not tokens:
        raise QuillpenError("nothing held out to score (the voice was trained with --holdout 0)")
    return {
        "perplexity": math.exp(nats / tokens),
        "bits_per_char": nats / math.log(2) / max(chars, 1),
        "tokens": tokens,
        "chars": chars,
    }


def in_context_prefix(model: Path, train: list[str]) -> str:
    """About :data:`IN_CONTEXT_TOKENS` tokens of the writer's training text (at most half the
    model's window), whole pieces from the end, for the in-context baseline."""
    from models.local.gguf_info import read_info

    budget = min(IN_CONTEXT_TOKENS, read_info(model).n_ctx_train // 2)
    text = ""
    for piece in reversed(train):
        candidate = piece + "\n\n" + text
        if len(candidate) / 4 > budget and text:  # ~4 characters a token; trimmed below
            break
        text = candidate
    from models.voice.tokens import Tokenizer

    tok = Tokenizer(model)
    try:
        ids = tok.encode(text)[-budget:]
        return tok.decode(ids).lstrip() if ids else ""
    finally:
        tok.close()


def longest_shared_run(sample: str, train_words: str) -> int:
    """The longest run of whole words of ``sample`` found in ``train_words`` (space-joined,
    with a space at each end)."""
    words = sample.split()
    best = 0
    for i in range(len(words)):
        k = best + 1
        while i + k <= len(words) and f" {' '.join(words[i : i + k])} " in train_words:
            best = k
            k += 1
    return best


def memorization(model: Path, train: list[str], samples: int) -> dict[str, Any]:
    from models.local.engine import Engine
    from models.sampling import SamplerSettings

    train_words = " " + " ".join(" ".join(train).split()) + " "
    engine = Engine.load(model)
    runs: list[int] = []
    try:
        for seed in range(samples):
            start = train[seed % len(train)].split()[:3]
            text = engine.complete(" ".join(start), SamplerSettings(seed=seed), max_tokens=60)
            runs.append(longest_shared_run(" ".join(start) + text, train_words) - len(start))
    finally:
        engine.close()
    longest = max(runs, default=0)
    return {
        "samples": samples,
        "longest_run_words": longest,
        "threshold": MEMORIZED_WORDS,
        "warning": longest >= MEMORIZED_WORDS,
    }


def build(name: str, *, samples: int = 20) -> dict[str, Any]:
    """The report of voice ``name``; its figures are also saved into its metadata."""
    from models.voice.export import write_meta

    meta = place.read_meta(name)
    if meta is None:
        raise QuillpenError(f"{name!r} is not a voice (see `quillpen models list`)")
    texts = _texts(name)
    tuned_path = place.model_file(name, meta["quant"])
    base_path = Path(meta["base_gguf"])
    for path in (tuned_path, base_path):
        if not path.is_file():
            raise QuillpenError(f"{path}: missing; train the voice again")
    held = texts["held_out"]
    result: dict[str, Any] = {
        "name": name,
        "base_model": meta["base"],
        "quant": meta["quant"],
        "held_out": {"pieces": len(held), "chars": sum(map(len, held))},
        "base": score_pieces(base_path, held),
        "tuned": score_pieces(tuned_path, held),
    }
    prefix = in_context_prefix(base_path, texts["train"])
    if prefix:
        result["in_context"] = score_pieces(base_path, held, prefix + "\n\n")
    if samples:
        result["memorization"] = memorization(tuned_path, texts["train"], samples)
    write_meta(place.meta_path(name), {**meta, "report": result})
    return result


def describe(result: dict[str, Any]) -> list[str]:
    base, tuned, ctx = result["base"], result["tuned"], result.get("in_context")
    lines = [
        f"voice {result['name']} (base {result['base_model']}, {result['quant']}, "
        f"{result['held_out']['pieces']} held-out pieces, {tuned['tokens']} tokens)",
        f"  {'':<22} {'perplexity':>10} {'bits/char':>10}",
        f"  {'base':<22} {base['perplexity']:>10.2f} {base['bits_per_char']:>10.3f}",
    ]
    if ctx:
        lines.append(
            f"  {'base + your text':<22} {ctx['perplexity']:>10.2f} {ctx['bits_per_char']:>10.3f}"
        )
    lines.append(f"  {'tuned':<22} {tuned['perplexity']:>10.2f} {tuned['bits_per_char']:>10.3f}")
    mem = result.get("memorization")
    if mem:
        note = "  WARNING: it may be reciting your texts" if mem["warning"] else ""
        lines.append(
            f"  longest run of words shared with the training text in {mem['samples']} "
            f"samples: {mem['longest_run_words']}{note}"
        )
    return lines


def _texts(name: str) -> dict[str, list[str]]:
    path = place.workdir(name) / "texts.json"
    try:
        data: dict[str, list[str]] = json.loads(path.read_text(encoding="utf-8"))
    except OSError:
        raise QuillpenError(f"{name!r}: its training texts are gone ({path})") from None
    return data
