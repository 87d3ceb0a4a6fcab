"""Fixtures for the app's tests."""

from __future__ import annotations

import pytest

from tests.support import engine_hooks


@pytest.fixture
def slow_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    """Slow the engine to ~50 pieces/s so a key can land mid-stream on any machine."""
    engine_hooks.use(monkeypatch, "slow")
