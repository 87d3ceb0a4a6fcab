"""Driving a RemoteEngine in tests: connect it, wait for a reply, run a request."""

from __future__ import annotations

import threading
from typing import Any

from models.engine_client import (
    Finished,
    GenerateRequest,
    ModelFailed,
    ModelLoaded,
)
from models.remote.engine import RemoteEngine
from tests.support.engine_events import Events

KEY_ENV = "QUILLPEN_TEST_REMOTE_KEY"
FAST = {"retry_delays": (0.05, 0.05, 0.05), "read_timeout": 5.0, "connect_timeout": 2.0}
STORY = (
    "The lighthouse keeper counted the ships every night. Some nights there were none. "
    "On the last night of the year a small boat came in with no lights at all, and he went "
    "down to the rocks to meet it. "
) * 6


class Reply:
    """A callback that keeps the value it is given, for a test to wait for."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self.done = threading.Event()

    def __call__(self, value: Any) -> None:
        self.values.append(value)
        self.done.set()

    def wait(self, timeout: float = 10) -> Any:
        assert self.done.wait(timeout), "no reply"
        return self.values[0]


def connect(
    engines: list[RemoteEngine], url: str, *, model: str | None = None, **options: Any
) -> tuple[RemoteEngine, Events, ModelLoaded]:
    status = Events()
    engine = RemoteEngine(status, url, **{**FAST, **options})
    engines.append(engine)
    engine.load(model)
    loaded = status.wait_for(ModelLoaded | ModelFailed)[0]  # type: ignore[arg-type]
    assert isinstance(loaded, ModelLoaded), loaded
    return engine, status, loaded


def load_failure(engines: list[RemoteEngine], url: str, **options: Any) -> str:
    status = Events()
    engine = RemoteEngine(status, url, **{**FAST, **options})
    engines.append(engine)
    engine.load()
    failed = status.wait_for(ModelLoaded | ModelFailed)[0]  # type: ignore[arg-type]
    assert isinstance(failed, ModelFailed), failed
    assert "Traceback" not in failed.error
    return failed.error


def run(
    engine: RemoteEngine, request: GenerateRequest, timeout: float = 10
) -> tuple[Events, Finished]:
    got = Events()
    engine.submit(request, got)
    return got, got.finished(request.id, timeout)
