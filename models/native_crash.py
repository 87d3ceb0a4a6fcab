"""Native crashes: naming the signal that ended a child, and a real crash for tests."""

from __future__ import annotations

import ctypes
import signal


def signal_name(number: int) -> str:
    """``SIGSEGV`` for 11; ``signal N`` for a number with no name."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def segfault() -> None:
    """Die as a native crash does (a real SIGSEGV)."""
    ctypes.string_at(0)
