"""Test helpers: poll for a condition instead of sleeping."""

from __future__ import annotations

import contextlib
import time
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

from textual.pilot import Pilot


async def wait_until(
    pilot: Pilot[object], predicate: Callable[[], object], timeout: float = 10.0
) -> None:
    """Let the app run until ``predicate()`` is true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {predicate}")
        await pilot.pause(0.05)


async def continued(pilot: Any, app: Any, *keys: str, timeout: float = 20.0) -> None:
    """Press ``keys`` and wait until the generation they start has finished.

    The action runs after the keys queued before it, so on a busy machine it may not have
    started when ``press`` returns: wait for its own ``GenerationFinished`` (a new
    ``app.editor.last_stats``), then for the engine to be idle.
    """
    before = app.editor.last_stats
    await pilot.press(*keys)
    await wait_until(pilot, lambda: app.editor.last_stats is not before, timeout)
    await wait_until(pilot, lambda: not app.editor.generating and not app.engine.busy, timeout)


def laid_out(screen: Any, selector: str) -> bool:
    """Whether ``selector`` names a widget of ``screen`` that has a place on it yet (a click
    on one that has not lands nowhere)."""
    found = screen.query(selector)
    return bool(found) and found.first().region.area > 0


@contextlib.contextmanager
def peak_memory() -> Iterator[list[int]]:
    """The peak of Python's allocations in the block, in bytes (appended at its end)."""
    tracemalloc.start()
    peak: list[int] = []
    try:
        yield peak
    finally:
        peak.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
