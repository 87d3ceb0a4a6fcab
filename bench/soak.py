"""Soak the engine process: thousands of generate/cancel cycles, watching memory and hangs.

    uv run python bench/soak.py [--model tiny.gguf] [--cycles 3000] [--bound-mb 64] [--json]

Drives the real :class:`models.local.client.LocalEngine` (its engine process, the real Engine
and model) the way the app does: submit, cancel after the stream starts, submit over a running
request, bursts of submits, F6 alternatives (non-exclusive requests cancelled by id), cancel
right after submit, and a few runs left to finish. Messages go to a plain recorder object with
a thread-safe ``post_message`` instead of a widget. Without ``--model`` it builds a tiny
random-weight GPT-2 (2 layers, 64 wide) in a temp folder. ``--threads`` defaults to 1: on a
busy machine llama.cpp's spinning threads make the rate meaningless; 0 uses all CPUs like the app.

Prints RSS (VmRSS of this process plus the engine process) after warm-up and at the end, the
growth, the cycle rate and how the requests ended. Exits 1 when RSS grew more than
``--bound-mb`` after warm-up (at its peak), when a request did not finish within ``--timeout``
seconds (a stuck engine; the threads' stacks are dumped), when any request got other than
exactly one ``GenerationFinished``, when a cancel was ignored, or when a request finished with
an error.
"""

from __future__ import annotations

import argparse
import collections
import faulthandler
import gc
import json
import random
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.engine_client import GenerateRequest
from models.local.client import LocalEngine
from models.prompting.prompts import TextSpec
from models.sampling import SamplerSettings
from tui.messages import (
    GenerationChunk,
    GenerationFinished,
    GenerationStarted,
    ModelFailed,
    ModelReady,
    deliver,
)

ROOT = Path(__file__).resolve().parents[1]
PROMPTS = [
    "The lighthouse keeper climbed the stairs as the storm rolled in.",
    "Once upon a time",
    "Dear diary, today I",
    "In the beginning there was only the sea, and the sea was",
    "",
]


def rss_bytes(pid: int | str = "self") -> int:
    """A process's resident set size (VmRSS), in bytes (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return 0
    raise RuntimeError(f"no VmRSS in /proc/{pid}/status")


def total_rss(engine: LocalEngine) -> int:
    """This process and its engine process together."""
    return rss_bytes() + (rss_bytes(engine.pid) if engine.pid else 0)


class Recorder:
    """Stands in for the widget a request replies to: a thread-safe ``post_message``.

    Keeps counts only (no message objects), so the recorder itself does not grow memory.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.started: set[int] = set()
        self.finished: dict[int, int] = {}
        self.ends: dict[int, str] = {}
        self.errors: list[str] = []
        self.chunks = 0
        self.ready: ModelReady | None = None
        self.failed: ModelFailed | None = None

    def post_message(self, message: object) -> bool:
        with self._cond:
            if isinstance(message, GenerationChunk):
                self.chunks += 1
            elif isinstance(message, GenerationStarted):
                self.started.add(message.request_id)
            elif isinstance(message, GenerationFinished):
                rid = message.request_id
                self.finished[rid] = self.finished.get(rid, 0) + 1
                if message.error:
                    self.ends[rid] = "error"
                    self.errors.append(message.error)
                elif message.cancelled:
                    self.ends[rid] = "cancelled"
                else:
                    self.ends[rid] = message.stats.stopped_by or "superseded"
            elif isinstance(message, ModelReady):
                self.ready = message
            elif isinstance(message, ModelFailed):
                self.failed = message
            self._cond.notify_all()
        return True

    def wait(self, predicate: Callable[[], bool], timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(predicate, timeout)

    def is_started(self, rid: int) -> bool:
        return rid in self.started or rid in self.finished


class Stuck(Exception):
    """A request did not finish in time."""


@dataclass
class SoakResult:
    cycles: int = 0
    requests: int = 0
    seconds: float = 0.0
    rss_start: int = 0
    rss_warm: int = 0
    rss_end: int = 0
    rss_peak: int = 0
    rss_closed: int = 0
    samples: list[tuple[int, int]] = field(default_factory=list)
    kinds: dict[str, int] = field(default_factory=dict)
    ends: dict[str, int] = field(default_factory=dict)
    lost_running: int = 0
    lost_queued: int = 0
    alternatives: int = 0
    alternatives_dropped: int = 0
    chunks: int = 0
    not_one_finish: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    stuck: str | None = None
    worker_stopped: bool = True
    bound_mb: float = 64.0

    @property
    def growth_mb(self) -> float:
        return (self.rss_end - self.rss_warm) / 2**20

    @property
    def peak_growth_mb(self) -> float:
        return (self.rss_peak - self.rss_warm) / 2**20

    @property
    def rate(self) -> float:
        return self.cycles / self.seconds if self.seconds else 0.0

    @property
    def failures(self) -> list[str]:
        out = []
        if self.stuck:
            out.append(f"stuck: {self.stuck}")
        if not self.worker_stopped:
            out.append("the worker thread did not stop")
        if self.not_one_finish:
            some = dict(list(self.not_one_finish.items())[:5])
            out.append(
                f"{len(self.not_one_finish)} requests did not get exactly one "
                f"GenerationFinished (id: count) {some}"
            )
        if self.errors:
            out.append(f"{len(self.errors)} requests failed, first: {self.errors[0]}")
        if self.lost_running:
            out.append(f"{self.lost_running} cancels of a running stream were ignored")
        if self.lost_queued:
            out.append(f"{self.lost_queued} cancels of a queued request were ignored")
        if self.peak_growth_mb > self.bound_mb:
            out.append(
                f"RSS grew {self.peak_growth_mb:.1f} MB after warm-up at its peak "
                f"({self.growth_mb:.1f} MB at the end; bound {self.bound_mb} MB)"
            )
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "cycles": self.cycles,
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "cycles_per_second": round(self.rate, 1),
            "rss_start_mb": round(self.rss_start / 2**20, 1),
            "rss_warm_mb": round(self.rss_warm / 2**20, 1),
            "rss_end_mb": round(self.rss_end / 2**20, 1),
            "rss_peak_mb": round(self.rss_peak / 2**20, 1),
            "rss_closed_mb": round(self.rss_closed / 2**20, 1),
            "growth_mb": round(self.growth_mb, 2),
            "peak_growth_mb": round(self.peak_growth_mb, 2),
            "bound_mb": self.bound_mb,
            "samples_mb": [(c, round(r / 2**20, 1)) for c, r in self.samples],
            "kinds": self.kinds,
            "ends": self.ends,
            "lost_cancels_running": self.lost_running,
            "lost_cancels_queued": self.lost_queued,
            "alternatives": self.alternatives,
            "alternatives_dropped": self.alternatives_dropped,
            "chunks": self.chunks,
            "not_one_finish": len(self.not_one_finish),
            "errors": len(self.errors),
            "stuck": self.stuck,
            "worker_stopped": self.worker_stopped,
            "failures": self.failures,
        }


class Soak:
    """The cycles. ``rec`` is the editor-like widget; ``alt`` the alternatives screen (F6)."""

    def __init__(
        self, gen: LocalEngine, rec: Recorder, *, max_tokens: int, timeout: float, seed: int
    ) -> None:
        self.gen = gen
        self.rec = rec
        self.alt = Recorder()
        self.max_tokens = max_tokens
        self.timeout = timeout
        self.rng = random.Random(seed)
        self.submitted: list[int] = []
        self.alt_submitted: list[int] = []
        self.lost_running = 0
        self.lost_queued = 0

    def submit(self, max_tokens: int | None = None, *, alternative: bool = False) -> int:
        request = GenerateRequest(
            TextSpec(self.rng.choice(PROMPTS)),
            settings=SamplerSettings(seed=self.rng.randrange(2**31)),
            max_tokens=max_tokens or self.max_tokens,
        )
        target = self.alt if alternative else self.rec
        rid = self.gen.submit(request, deliver(target), exclusive=not alternative)  # type: ignore[arg-type]
        (self.alt_submitted if alternative else self.submitted).append(rid)
        return rid

    def wait_started(self, rid: int) -> None:
        if not self.rec.wait(lambda: self.rec.is_started(rid), self.timeout):
            raise Stuck(f"request {rid} did not start within {self.timeout}s")

    def wait_finished(self, rid: int, rec: Recorder | None = None) -> None:
        rec = rec or self.rec
        if not rec.wait(lambda: rid in rec.finished, self.timeout):
            raise Stuck(f"request {rid} did not finish within {self.timeout}s")

    def cancel(self, rid: int, *, running: bool) -> None:
        """Esc while ``rid`` runs (or is still queued): it must end cancelled, not run on."""
        done_before = rid in self.rec.finished
        self.gen.cancel()
        self.wait_finished(rid)
        # A stream may end by itself (end of text) before the cancel arrives; one that ran to
        # its full length did not hear the cancel.
        if not done_before and self.rec.ends.get(rid) == "length":
            if running:
                self.lost_running += 1
            else:
                self.lost_queued += 1

    def cycle(self) -> str:
        roll = self.rng.random()
        if roll < 0.45:  # cancel a running stream (Esc)
            rid = self.submit()
            self.wait_started(rid)
            time.sleep(self.rng.uniform(0, 0.01))
            self.cancel(rid, running=True)
            return "cancel"
        if roll < 0.65:  # Tab again while a stream runs: the new request supersedes it
            first = self.submit()
            time.sleep(self.rng.uniform(0, 0.005))
            second = self.submit()
            self.wait_finished(first)
            self.wait_started(second)
            self.cancel(second, running=True)
            return "supersede"
        if roll < 0.80:  # a burst of submits: queued ones are superseded, the last one runs
            ids = [self.submit() for _ in range(self.rng.randint(3, 6))]
            self.wait_started(ids[-1])
            self.cancel(ids[-1], running=True)
            for rid in ids:
                self.wait_finished(rid)
            return "burst"
        if roll < 0.88:  # F6 alternatives: queued side by side, cancelled when the screen closes
            ids = [self.submit(8, alternative=True) for _ in range(3)]
            alt = self.alt
            if not alt.wait(lambda: alt.is_started(ids[0]), self.timeout):
                raise Stuck(f"alternative {ids[0]} did not start within {self.timeout}s")
            time.sleep(self.rng.uniform(0, 0.02))
            self.gen.cancel(ids)
            rid = self.submit()  # the editor must still be served afterwards
            self.wait_started(rid)
            self.cancel(rid, running=True)
            return "alternatives"
        if roll < 0.95:  # cancel straight after submit, before the worker may have taken it
            rid = self.submit()
            self.cancel(rid, running=False)
            return "cancel-at-once"
        rid = self.submit(max_tokens=self.rng.randint(1, 8))  # left to finish
        self.wait_finished(rid)
        return "complete"


def run_soak(
    model: Path,
    cycles: int,
    *,
    max_tokens: int = 32,
    threads: int | None = 1,
    timeout: float = 10.0,
    bound_mb: float = 64.0,
    warmup: int | None = None,
    seed: int = 1,
    progress: Callable[[str], None] | None = None,
) -> SoakResult:
    """Run ``cycles`` generate/cancel cycles on ``model``; never raises for a failed soak."""
    result = SoakResult(bound_mb=bound_mb, rss_start=rss_bytes())
    rec = Recorder()
    gen = LocalEngine(deliver(rec))  # type: ignore[arg-type]
    gen.load(model, threads=threads)
    if not rec.wait(lambda: rec.ready is not None or rec.failed is not None, 120):
        result.stuck = "the model did not load within 120 s"
        return result
    if rec.failed is not None:
        result.errors.append(f"model failed to load: {rec.failed.error}")
        return result
    soak = Soak(gen, rec, max_tokens=max_tokens, timeout=timeout, seed=seed)
    warmup = warmup if warmup is not None else max(20, cycles // 10)
    kinds: collections.Counter[str] = collections.Counter()
    every = max(1, cycles // 10)
    start = time.perf_counter()
    try:
        for i in range(1, cycles + 1):
            kinds[soak.cycle()] += 1
            result.cycles = i
            if i == warmup:
                gc.collect()
                result.rss_warm = total_rss(gen)
                start = time.perf_counter()
            if i % every == 0 or i == cycles:
                if i == cycles:
                    gc.collect()
                rss = total_rss(gen)
                result.rss_peak = max(result.rss_peak, rss)
                result.samples.append((i, rss))
                if progress:
                    progress(f"{i:6d} cycles  RSS {rss / 2**20:7.1f} MB")
    except Stuck as exc:
        result.stuck = str(exc)
        faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
    result.seconds = time.perf_counter() - start
    gc.collect()
    result.rss_end = total_rss(gen)  # with the model still loaded, like the warm-up baseline
    if result.cycles > warmup:
        result.cycles -= warmup  # the rate and growth are over the cycles after warm-up
    child = gen._child
    gen.close()
    result.worker_stopped = child is None or child.proc.poll() is not None
    result.rss_peak = max(result.rss_peak, result.rss_end)
    gc.collect()
    result.rss_closed = rss_bytes()
    if not result.rss_warm:
        result.rss_warm = result.rss_start
    with rec._cond:
        result.requests = len(soak.submitted)
        result.not_one_finish = {
            rid: rec.finished.get(rid, 0) for rid in soak.submitted if rec.finished.get(rid, 0) != 1
        }
        extra = set(rec.finished) - set(soak.submitted)
        result.not_one_finish.update({rid: rec.finished[rid] for rid in extra})
        result.errors.extend(rec.errors)
        # Alternatives get exactly one GenerationFinished each, cancelled or not.
        alt = soak.alt
        result.alternatives = len(soak.alt_submitted)
        result.alternatives_dropped = sum(1 for r in soak.alt_submitted if r not in alt.finished)
        result.not_one_finish.update(
            {r: alt.finished.get(r, 0) for r in soak.alt_submitted if alt.finished.get(r) != 1}
        )
        result.errors.extend(alt.errors)
        result.ends = dict(collections.Counter(rec.ends.values()))
        result.chunks = rec.chunks
    result.kinds = dict(kinds)
    result.lost_running = soak.lost_running
    result.lost_queued = soak.lost_queued
    return result


def tiny_model(folder: Path) -> Path:
    from models.hub.convert import convert
    from tests.support.tinymodel import make_checkpoint

    return convert(make_checkpoint(folder / "ckpt"), folder / "tiny.Q8_0.gguf", "q8_0")


def report(result: SoakResult) -> str:
    d = result.as_dict()
    lines = [
        f"cycles after warm-up   {d['cycles']} ({d['requests']} requests in all) "
        f"in {d['seconds']} s = {d['cycles_per_second']} cycles/s",
        f"RSS                    start {d['rss_start_mb']} MB, after warm-up {d['rss_warm_mb']} "
        f"MB, end {d['rss_end_mb']} MB, peak {d['rss_peak_mb']} MB, "
        f"after closing the model {d['rss_closed_mb']} MB",
        f"RSS growth             {d['growth_mb']} MB after warm-up at the end (after a full GC),"
        f" {d['peak_growth_mb']} MB at the peak (bound {d['bound_mb']} MB)",
        f"cycle kinds            {d['kinds']}",
        f"requests ended         {d['ends']}",
        f"alternatives (F6)      {d['alternatives']} requests, {d['alternatives_dropped']} "
        "without a GenerationFinished",
        f"ignored cancels        {d['lost_cancels_running']} of running streams, "
        f"{d['lost_cancels_queued']} of requests not yet taken by the engine (they ran to "
        "their end)",
    ]
    lines += [f"FAIL: {f}" for f in result.failures] or ["OK"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--model", type=Path, help="a GGUF (default: build a tiny GPT-2)")
    ap.add_argument("--cycles", type=int, default=3000)
    ap.add_argument("--warmup", type=int, default=None, help="cycles before the RSS baseline")
    ap.add_argument("--max-tokens", type=int, default=32)
    ap.add_argument(
        "--threads", type=int, default=1, help="llama.cpp threads (0: all CPUs, as the app)"
    )
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds one request may take")
    ap.add_argument("--bound-mb", type=float, default=64.0, help="allowed RSS growth")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true", help="print the result as one JSON line")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model or tiny_model(Path(tmp))
        result = run_soak(
            model,
            args.cycles,
            max_tokens=args.max_tokens,
            threads=args.threads or None,
            timeout=args.timeout,
            bound_mb=args.bound_mb,
            warmup=args.warmup,
            seed=args.seed,
            progress=None if args.json else lambda line: print(line, flush=True),
        )
    print(json.dumps(result.as_dict()) if args.json else report(result), flush=True)
    return 1 if result.failures else 0


if __name__ == "__main__":
    sys.exit(main())
