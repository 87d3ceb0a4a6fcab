"""Streaming speed as ratios measured in one run (these machines are noisy).

    uv run python bench/stream_rate.py [--embd 768 --layers 12] [--tokens 200]

Builds a GPT-2-shaped random-weight model (gpt2-small shape by default), quantizes it to
Q4_K_M, then measures tokens/s of:
  bare    llama-cpp-python's own Llama.generate loop (threads = available CPUs)
  default llama-cpp-python with its default thread count (half the CPUs)
  engine  quillpen's Engine.stream (stop-string handling, UTF-8 decoding)
  app     the whole app path: engine process → paced chunks → TextArea inserts (headless),
          with the default threads (all CPUs) and with one thread
and prints each as a ratio to `bare`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.hub.convert import convert
from models.hub.quantize import quantize
from models.local.engine import Engine
from models.sampling import SamplerSettings
from models.stats import available_threads
from tests.support.tinymodel import make_checkpoint

PROMPT = "The lighthouse keeper climbed the stairs as the storm rolled in from the sea."


def bare_rate(path: Path, tokens: int, threads: int | None) -> float:
    import llama_cpp

    llm = llama_cpp.Llama(str(path), n_ctx=1024, n_threads=threads, verbose=False)
    ids = llm.tokenize(PROMPT.encode(), add_bos=False)
    start, n = time.perf_counter(), 0
    for _ in llm.generate(ids, top_k=40, top_p=0.95, min_p=0.05, temp=0.8, repeat_penalty=1.15):
        n += 1
        if n >= tokens:
            break
    rate = n / (time.perf_counter() - start)
    llm.close()
    return rate


def engine_rate(engine: Engine, tokens: int) -> float:
    settings = SamplerSettings(seed=1)
    start = time.perf_counter()
    for _ in engine.stream(PROMPT, settings, max_tokens=tokens):
        pass
    return engine.last_stats.generated_tokens / (time.perf_counter() - start)


async def app_rate(path: Path, tokens: int, threads: int | None = None) -> float:
    from tui.app import QuillpenApp
    from tui.config import Settings

    settings = Settings(continue_tokens=tokens)
    app = QuillpenApp(None, model=str(path), threads=threads, settings=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        while app.model_name is None:
            await pilot.pause(0.05)
        app.editor.insert(PROMPT)
        start = time.perf_counter()
        app.start_continuation(tokens, SamplerSettings(seed=1, temperature=0.8))
        await pilot.pause(0.05)
        while app.editor.generating:
            await pilot.pause(0.01)
        elapsed = time.perf_counter() - start
        generated = app.last_stats.generated_tokens
    return generated / elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--embd", type=int, default=768)
    ap.add_argument("--layers", type=int, default=12)
    ap.add_argument("--tokens", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src = make_checkpoint(Path(tmp) / "ckpt", n_embd=args.embd, n_layer=args.layers, n_head=12)
        f16 = convert(src, Path(tmp) / "m.f16.gguf", "f16")
        q = quantize(f16, Path(tmp) / "m.Q4_K_M.gguf", "Q4_K_M")
        threads = available_threads()
        runs: dict[str, list[float]] = {
            "bare": [],
            "default": [],
            "engine": [],
            "app": [],
            "app1": [],
        }
        for _ in range(args.rounds):  # interleaved, so a noisy moment hits every variant
            runs["bare"].append(bare_rate(q, args.tokens, threads))
            runs["default"].append(bare_rate(q, args.tokens, None))
            engine = Engine.load(q)
            runs["engine"].append(engine_rate(engine, args.tokens))
            engine.close()
            runs["app"].append(asyncio.run(app_rate(q, args.tokens)))
            runs["app1"].append(asyncio.run(app_rate(q, args.tokens, threads=1)))
        bare, default, eng, app, app1 = (statistics.median(runs[k]) for k in runs)
        print(f"medians of {args.rounds} interleaved rounds")
        print(
            f"model: {args.layers} layers × {args.embd} wide, Q4_K_M; {threads} threads available"
        )
        print(f"bare llama-cpp-python   {bare:7.1f} tok/s  1.00")
        print(f"its default threads     {default:7.1f} tok/s  {default / bare:.2f}")
        print(f"quillpen Engine.stream  {eng:7.1f} tok/s  {eng / bare:.2f}")
        print(f"quillpen app (headless) {app:7.1f} tok/s  {app / bare:.2f}")
        print(f"  … with --threads 1    {app1:7.1f} tok/s  {app1 / bare:.2f}")


if __name__ == "__main__":
    main()
