"""A remote engine's loads, on its loop thread: one at a time, the latest one wins.

:class:`Loader` runs :func:`models.remote.connect.connect` as a task; a newer load makes an
older one moot (its result is dropped, and whoever waited for it looks again). Requests that
arrive while a load is under way wait for it (:meth:`Loader.current`), then run on what it gave:
a :class:`ServerState`, the connection and a semaphore holding the server's slots.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass

from models.engine_client import EngineEvent, ModelFailed, ModelLoading
from models.remote.connect import Connection, connect
from models.remote.errors import failure
from models.remote.http import RemoteHttp
from models.remote.profiles import ServerProfile


@dataclass(frozen=True)
class ServerState:
    connection: Connection
    slots: asyncio.Semaphore
    """Requests sent at once (the server's slots)."""


class Loader:
    """The current :class:`ServerState` and the load under way (see the module doc).

    ``lock`` is the engine's: :meth:`begin` and :meth:`forget` run under it on the caller's
    thread; ``adopt`` runs under it when a load succeeds (the engine takes the model and its
    capabilities with the state, at once); ``report`` hears ``ModelLoading`` and the outcome.
    """

    def __init__(
        self,
        http: RemoteHttp,
        lock: threading.RLock,
        *,
        profile: ServerProfile | None,
        context_length: int | None,
        adopt: Callable[[Connection], None],
        report: Callable[[EngineEvent], None],
    ) -> None:
        self.http, self.lock = http, lock
        self.profile, self.context_length = profile, context_length
        self.adopt, self.report = adopt, report
        self.state: ServerState | None = None
        self.loading = False
        self.serial = 0
        self._done: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    def begin(self) -> int:
        """A new load (the caller holds the lock): the current state goes; its serial."""
        self.loading, self.state = True, None
        self.serial += 1
        return self.serial

    def forget(self) -> None:
        """No state and no load (the caller holds the lock): a load under way is moot."""
        self.state, self.loading = None, False
        self.serial += 1

    def start(self, wanted: str | None, serial: int) -> None:
        """Load ``wanted`` (None: the server's first model) on the loop thread."""
        if self._task is not None:
            self._task.cancel()
        if self._done is not None:
            self._done.set()  # whoever waits for the old load looks again
        done = self._done = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._load(wanted, serial, done))

    async def _load(self, wanted: str | None, serial: int, done: asyncio.Event) -> None:
        self.report(ModelLoading(self.http.url))
        connection: Connection | None = None
        problem = ""
        try:
            connection = await connect(
                self.http, wanted, profile=self.profile, context_length=self.context_length
            )
        except Exception as exc:
            problem = failure(exc, self.http.host)
        with self.lock:
            current = serial == self.serial
            if current:
                self.loading = False
                if connection is not None:
                    slots = asyncio.Semaphore(max(1, connection.slots))
                    self.state = ServerState(connection, slots)
                    self.adopt(connection)
        done.set()
        if current:
            self.report(connection.loaded if connection else ModelFailed(self.http.url, problem))

    async def current(self) -> ServerState | None:
        """The state once any load under way has ended (None: no model)."""
        while self.loading and self._done is not None:
            waited = self._done
            await waited.wait()
            if waited is self._done:
                break
        return self.state

    def stop(self) -> None:
        """End the load under way, if any, and release whoever waits for it (loop thread)."""
        if self._task is not None:
            self._task.cancel()
        if self._done is not None:
            self._done.set()
        self._task = self._done = None
