"""Small facts shared by the engine, its process and its clients (no llama.cpp import)."""

from __future__ import annotations

import os
from dataclasses import dataclass


def available_threads() -> int:
    """The CPUs this process may run on (not half the machine, as llama-cpp-python assumes)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


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
