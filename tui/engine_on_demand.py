"""The app's engine client, opened when something first uses it: after the first frame.

The engine client's modules (its requests and events, the prompt builders, the pipe protocol:
some thirty dataclasses, whose methods Python generates at import) cost about a tenth of a
launch, and nothing before the first frame needs them (docs/performance.md). The widgets are
given this object as their engine client, like any other
:class:`~models.engine_client.EngineClient`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.message_pump import MessagePump

    from models.engine_client import Capabilities, EngineClient, GenerateRequest, Scored, Sink
    from tui.config import RemoteTarget


class EngineOnDemand:
    """An :class:`EngineClient` that opens the real one (:func:`tui.engine_choice.open_engine`,
    its model events delivered to ``status``) on first use. A remote engine opens at once: its
    settings are checked as the app starts. ``close`` and ``kill`` never open one, and a
    ``kill`` that comes first still ends it as it opens."""

    def __init__(
        self,
        target: RemoteTarget | None,
        status: MessagePump,
        *,
        cpu_repack: str,
        on_retry: Callable[[Any], None] | None = None,
    ) -> None:
        self._args = (target, status, cpu_repack, on_retry)
        self._client: EngineClient | None = None
        self._killed = False
        if target is not None:
            self._client = self._open()

    def _open(self) -> EngineClient:
        from tui.engine_choice import open_engine
        from tui.messages import deliver

        target, status, cpu_repack, on_retry = self._args
        return open_engine(target, deliver(status), cpu_repack=cpu_repack, on_retry=on_retry)

    @property
    def client(self) -> EngineClient:
        """The engine client itself, opened now if it was not yet."""
        if self._client is None:
            client = self._open()
            self._client = client
            if self._killed:  # a hang-up came first: no engine process may start now
                client.kill()
        return self._client

    @property
    def capabilities(self) -> Capabilities:
        return self.client.capabilities

    @capabilities.setter
    def capabilities(self, value: Capabilities) -> None:
        self.client.capabilities = value

    # (An engine not opened yet runs nothing and has no model: asking opens none.)
    @property
    def busy(self) -> bool:
        return self._client is not None and self._client.busy

    @property
    def ready(self) -> bool:
        return self._client is not None and self._client.ready

    def load(self, path: Path | str, *, gpu_layers: int | str | None, threads: int | None) -> None:
        self.client.load(path, gpu_layers=gpu_layers, threads=threads)

    def submit(self, request: GenerateRequest, sink: Sink, *, exclusive: bool = True) -> int:
        return self.client.submit(request, sink, exclusive=exclusive)

    def count_tokens(self, text: str, reply: Callable[[int | None], None]) -> None:
        self.client.count_tokens(text, reply)

    def score(self, text: str, reply: Callable[[Scored], None], *, top: int = 10) -> int:
        return self.client.score(text, reply, top=top)

    def cancel(self, request_ids: Sequence[int] | None = None) -> None:
        if self._client is not None:
            self._client.cancel(request_ids)

    def set_flush_interval(self, seconds: float) -> None:
        self.client.set_flush_interval(seconds)

    def writer_active(self) -> None:
        if self._client is not None:
            self._client.writer_active()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def kill(self) -> None:
        """Safe in a signal handler: sets a flag, and ends the engine if there is one."""
        self._killed = True
        if self._client is not None:
            self._client.kill()

    def __getattr__(self, name: str) -> Any:
        """What only one kind of engine has (``LocalEngine.pid``, ``RemoteEngine.url``)."""
        if name.startswith("_") or name == "client":  # (``client`` itself failed)
            raise AttributeError(name)
        return getattr(self.client, name)
