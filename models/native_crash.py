"""A real native crash, on purpose: tests and the CPU probe's tests use it."""

from __future__ import annotations

import ctypes


def segfault() -> None:
    """Die as a native crash does (a real SIGSEGV)."""
    ctypes.string_at(0)
