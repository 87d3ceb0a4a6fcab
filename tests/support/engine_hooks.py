"""Code the engine process runs before it serves, in tests (``QUILLPEN_TEST_ENGINE_HOOK``).

The engine lives in its own process, so a test cannot monkeypatch it from the outside: the
fixtures name a function here, and the tests' engine entry (``tests/support/engine_entry.py``,
which :func:`use` puts in place of the shipped one) calls it at start-up.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from models.local import client
from models.local.engine import Engine
from tests.support.engine_entry import ENTRY, HOOK_ENV

if TYPE_CHECKING:
    import pytest

HOSTILE_PIECES = [
    " [bold]x[/bold]",
    " \x1b[2Jclear",
    " osc\x1b]52;c;SGVsbG8=\x07",
    " cr\r",
    " nul\x00",
    " [@click=app.quit]q[/]",
]


def slow() -> None:
    """~50 pieces a second (a big model's pace), so a key can land mid-stream anywhere.

    ``QUILLPEN_TRIAL_PIECE_DELAY`` sets the pause after each piece (default 0.02 s).
    """
    original = Engine.stream
    delay = float(os.environ.get("QUILLPEN_TRIAL_PIECE_DELAY", "0.02"))

    def stream(self: Engine, *args: Any, **kwargs: Any) -> Iterator[str]:
        for piece in original(self, *args, **kwargs):
            time.sleep(delay)
            yield piece

    Engine.stream = stream  # type: ignore[method-assign]


def slow_load() -> None:
    """Loading takes ``QUILLPEN_TRIAL_LOAD_DELAY`` seconds (default 20): a long load phase."""
    _delay_load(lambda extra_bufts: True)


def slow_safe_load() -> None:
    """Only a safe-mode load (the restart after a crash) takes long."""
    _delay_load(lambda extra_bufts: not extra_bufts)


def _delay_load(when: Any) -> None:
    original = Engine.load.__func__  # type: ignore[attr-defined]
    delay = float(os.environ.get("QUILLPEN_TRIAL_LOAD_DELAY", "20"))

    def load(cls: type[Engine], *args: Any, **kwargs: Any) -> Engine:
        if when(kwargs.get("extra_bufts", True)):
            time.sleep(delay)
        return original(cls, *args, **kwargs)  # type: ignore[no-any-return]

    Engine.load = classmethod(load)  # type: ignore[method-assign,assignment]


def hostile() -> None:
    """The model "writes" escape sequences, markup and control characters."""

    def stream(self: Engine, *args: Any, **kwargs: Any) -> Iterator[str]:
        yield from HOSTILE_PIECES

    Engine.stream = stream  # type: ignore[method-assign]


def spec(name: str) -> str:
    """The value of ``QUILLPEN_TEST_ENGINE_HOOK`` that runs hook ``name``."""
    return f"{Path(__file__)}:{name}"


def use(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Make engine processes started from now on in this test run hook ``name``."""
    monkeypatch.setenv(HOOK_ENV, spec(name))
    monkeypatch.setattr(client, "ENGINE_MODULE", ENTRY)
