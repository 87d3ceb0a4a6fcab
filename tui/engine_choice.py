"""The engine the app writes with: llama.cpp in a child process, or a remote server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from models.engine_client import EngineClient, EngineEvent
from models.local.client import LocalEngine
from tui.config import RemoteTarget


def open_engine(
    target: RemoteTarget | None,
    status: Callable[[EngineEvent], None],
    *,
    cpu_repack: str,
    on_retry: Callable[[Any], None] | None = None,
) -> EngineClient:
    """A :class:`LocalEngine`, or a ``RemoteEngine`` for ``target`` (httpx loads only then)."""
    if target is None:
        return LocalEngine(status, cpu_repack=cpu_repack)
    from models.remote.engine import RemoteEngine

    return RemoteEngine(
        status,
        target.url,
        api_key_env=target.api_key_env,
        profile=target.profile,
        model=target.model,
        context_length=target.context_length,
        ca_file=target.ca_file,
        on_retry=on_retry,
    )
