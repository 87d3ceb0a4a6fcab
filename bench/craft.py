"""What token insight, batched alternatives and scoring cost, as ratios measured in one run.

    uv run python bench/craft.py [--model M.gguf] [--rounds 5] [--tokens 64]

Without ``--model`` it builds a GPT-2-small-shaped random-weight model (12 layers × 768,
GPT-2's vocabulary) and quantizes it to Q4_K_M, as bench/stream_rate.py does. Every variant
runs once per round, interleaved, and the medians are compared, so a noisy moment on a shared
machine hits all of them. Figures printed:

  probabilities   tokens/s streaming with each token's probability, rank and top 10, against
                  the plain stream (Engine.stream, what Tab uses) and against the same batch
                  path without them                                       target ≥ 0.90
  alternatives    time for 3 continuations of --tokens tokens in one batch, against one
                  (a short prompt cached, as after a continuation; the same decoded afresh;
                  a 500-token prompt decoded afresh)                       target ≤ 2.0
  surprise        seconds to score 1,000 tokens of prose with top 10   target ≤ 3 s on 2 cores
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.local.engine import Engine
from models.sampling import SamplerSettings
from models.stats import available_threads

ROOT = Path(__file__).resolve().parents[1]
PROMPT = (
    "The lighthouse keeper climbed the stairs as the storm rolled in from the sea. "
    "Below him the village had gone dark, one window after another, until only the harbour "
    "lamp was left burning against the rain."
)


def build_model(folder: Path) -> Path:
    from models.hub.convert import convert
    from models.hub.quantize import quantize
    from tests.support.tinymodel import make_checkpoint

    src = make_checkpoint(folder / "ckpt", n_embd=768, n_layer=12, n_head=12)
    f16 = convert(src, folder / "m.f16.gguf", "f16")
    return quantize(f16, folder / "m.Q4_K_M.gguf", "Q4_K_M")


def cold(engine: Engine) -> None:
    """Forget the KV cache, so the next request decodes its whole prompt."""
    import llama_cpp

    llm = engine.llm
    llama_cpp.llama_memory_clear(llama_cpp.llama_get_memory(llm.ctx), True)  # type: ignore[attr-defined]
    llm.n_tokens = 0  # type: ignore[attr-defined]


def timed(run: Callable[[], int]) -> tuple[float, int]:
    start = time.perf_counter()
    tokens = run()
    return time.perf_counter() - start, tokens


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", type=Path, help="a GGUF (default: build a gpt2-small-shaped one)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--tokens", type=int, default=64)
    ap.add_argument("--stream-tokens", type=int, default=200)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.model or build_model(Path(tmp))
        engine = Engine.load(path)
        settings = SamplerSettings(seed=1)
        prose = (ROOT / "docs" / "design.md").read_text(encoding="utf-8")
        text = engine.detokenize(engine.tokenize(prose)[:1000])
        n_tok, stream_n = args.tokens, args.stream_tokens
        long_prompt = engine.detokenize(engine.tokenize(prose)[:500])  # a page before the cursor

        def plain() -> int:
            for _ in engine.stream(PROMPT, settings, max_tokens=stream_n):
                pass
            return engine.last_stats.generated_tokens

        def batch_path(top: int) -> Callable[[], int]:
            def run() -> int:
                for _ in engine.generate(PROMPT, settings, max_tokens=stream_n, probabilities=top):
                    pass
                return engine.last_stats.generated_tokens

            return run

        def alternatives(n: int, fresh: bool, prompt: str = PROMPT) -> Callable[[], int]:
            def run() -> int:
                if fresh:
                    cold(engine)
                for _ in engine.generate(prompt, settings, n=n, max_tokens=n_tok):
                    pass
                return engine.last_stats.generated_tokens

            return run

        def score() -> int:
            return len(engine.score(text, top=10))

        variants: dict[str, Callable[[], int]] = {
            "plain": plain,
            "batch0": batch_path(0),
            "probs10": batch_path(10),
            "alt1": alternatives(1, False),
            "alt3": alternatives(3, False),
            "alt1cold": alternatives(1, True),
            "alt3cold": alternatives(3, True),
            "alt1long": alternatives(1, True, long_prompt),
            "alt3long": alternatives(3, True, long_prompt),
            "score": score,
        }
        for run in variants.values():  # warm up (and build the piece cache)
            run()
        times: dict[str, list[float]] = {k: [] for k in variants}
        rates: dict[str, list[float]] = {k: [] for k in variants}
        for _ in range(args.rounds):
            for name, run in variants.items():
                seconds, tokens = timed(run)
                times[name].append(seconds)
                rates[name].append(tokens / seconds)
        t = {k: statistics.median(v) for k, v in times.items()}
        r = {k: statistics.median(v) for k, v in rates.items()}
        prompt_tokens = len(engine.tokenize(PROMPT))
        engine.close()
    print(f"medians of {args.rounds} interleaved rounds; {available_threads()} threads available")
    print(f"model: {path.name if args.model else 'gpt2-small-shaped, Q4_K_M'}")
    print(f"stream, plain (Engine.stream)         {r['plain']:7.1f} tok/s")
    print(f"stream, batch path, no probabilities  {r['batch0']:7.1f} tok/s")
    print(f"stream, with probabilities (top 10)   {r['probs10']:7.1f} tok/s")
    print(
        f"  ratio to the plain stream            {r['probs10'] / r['plain']:.2f}  (target ≥ 0.90)"
    )
    print(f"  ratio to the batch path without      {r['probs10'] / r['batch0']:.2f}")
    print(f"alternatives, {n_tok} tokens, prompt {prompt_tokens} tokens cached:")
    print(f"  1: {t['alt1']:.2f} s  3: {t['alt3']:.2f} s  ratio {t['alt3'] / t['alt1']:.2f}")
    print("alternatives, the same with the prompt decoded afresh:")
    print(
        f"  1: {t['alt1cold']:.2f} s  3: {t['alt3cold']:.2f} s  "
        f"ratio {t['alt3cold'] / t['alt1cold']:.2f}  (target ≤ 2.0)"
    )
    print("alternatives, the same after a 500-token prompt decoded afresh:")
    print(
        f"  1: {t['alt1long']:.2f} s  3: {t['alt3long']:.2f} s  "
        f"ratio {t['alt3long'] / t['alt1long']:.2f}"
    )
    print(f"surprise: 1,000 tokens scored in {t['score']:.2f} s (target ≤ 3 s on 2 cores)")


if __name__ == "__main__":
    main()
