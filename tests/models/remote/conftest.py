"""Fixtures for the remote engine's tests: the engines a test made, a fault server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from models.remote.engine import RemoteEngine
from tests.support.faultserver import FaultServer


@pytest.fixture
def engines() -> Iterator[list[RemoteEngine]]:
    """Engines a test made: closed at the end, whatever happened."""
    made: list[RemoteEngine] = []
    yield made
    for engine in made:
        engine.close()


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer("llama.cpp", n_ctx=1000) as fake:
        yield fake
