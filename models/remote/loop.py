"""An asyncio event loop on a daemon thread: where a remote engine's requests run.

The UI's thread only schedules work here (:meth:`LoopThread.call`) and never waits for it; the
loop thread runs the HTTP streams and calls the engine's sinks. Blocking work (the server's
tokenizer, through a synchronous client) goes to :func:`in_thread`, a daemon thread of its
own, so no exit path ever waits for a network call.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class LoopThread:
    """Starts its loop on first use; :meth:`stop` ends it (a later :meth:`ensure` starts anew)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def ensure(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self.loop is not None and self.thread is not None and self.thread.is_alive():
                return self.loop
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=_main, args=(loop,), name=self.name, daemon=True)
            self.loop, self.thread = loop, thread
            thread.start()
            return loop

    @property
    def running(self) -> bool:
        return self.loop is not None

    def on_thread(self) -> bool:
        return threading.current_thread() is self.thread

    def call(self, fn: Callable[..., object], *args: Any) -> bool:
        """Run ``fn(*args)`` on the loop soon; False if the loop is gone."""
        loop = self.loop
        if loop is None:
            return False
        try:
            loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:  # closed meanwhile
            return False
        return True

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Start ``coro`` as a task on the loop (from any thread)."""
        if not self.call(lambda: asyncio.get_running_loop().create_task(coro)):
            coro.close()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        """Run ``coro`` on the loop and wait for it (never call this on the loop's thread)."""
        loop = self.ensure()
        future = asyncio.run_coroutine_threadsafe(coro, loop)
        try:
            return future.result(timeout)
        except BaseException:
            future.cancel()
            raise

    def stop(self, wait: float) -> None:
        """Stop the loop (its tasks are cancelled) and wait up to ``wait`` s for the thread."""
        with self._lock:
            loop, thread = self.loop, self.thread
            self.loop = self.thread = None
        if loop is None or thread is None:
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(loop.stop)
        if threading.current_thread() is not thread:
            thread.join(wait)


def _main(loop: asyncio.AbstractEventLoop) -> None:
    asyncio.set_event_loop(loop)
    try:
        loop.run_forever()
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.wait(pending, timeout=1.0))
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        loop.close()


async def in_thread(fn: Callable[[], T]) -> T:
    """Run blocking ``fn`` on a daemon thread and await its result."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if future.done():  # the awaiting task was cancelled
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    def work() -> None:
        result: Any = None
        error: BaseException | None = None
        try:
            result = fn()
        except BaseException as exc:  # handed to the awaiting task
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=work, name="remote-engine-worker", daemon=True).start()
    return await future
