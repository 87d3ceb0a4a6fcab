"""The model's life in the app: which model is in use, loading, replacing and unloading it, what
its events mean to the writer, and what waits for a model to load.

:class:`ModelSession` stands beside :class:`~tui.session.DocumentSession` (the document's life):
the App makes both and hands them to the screens and widgets that need them. The engine client
delivers its model events to the status bar as messages; they bubble to the main screen, which
hands them here (:meth:`ModelSession.ready`, :meth:`~ModelSession.failed`,
:meth:`~ModelSession.crashed`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from models.remote.engine import RemoteEngine
    from tui.engine_on_demand import EngineOnDemand
    from tui.messages import EngineCrashed, ModelFailed, ModelReady
    from tui.widgets.status import StatusBar


class Notifier(Protocol):
    """What the model session needs of the app: a way to tell the writer."""

    def notify(
        self, message: str, *, title: str = ..., severity: Any = ..., timeout: Any = ...
    ) -> None: ...


class ModelSession:
    """The model behind every request: loads it, replaces it, unloads it, and hears its events.

    ``remote``: the engine is a server's (a model is named, never looked for on disk);
    ``gpu_layers`` and ``threads`` are what a local model loads with (``threads`` None: all).
    """

    def __init__(
        self,
        host: Notifier,
        engine: EngineOnDemand,
        status: StatusBar,
        *,
        remote: bool,
        gpu_layers: int | str,
        threads: int | None,
    ) -> None:
        self.host = host
        self.engine = engine
        self.status = status
        self.remote = remote
        self.gpu_layers = gpu_layers
        """What the next local load offloads to the GPU (the models screen sets it)."""
        self._threads = threads
        self.name: str | None = None
        """The loaded model's name; None while none is ready."""
        self.path: Path | None = None
        self.label = ""
        """The loaded model as the status bar names it ("gpt2 Q8_0"): the branch tree keeps it."""
        self._after_load: Callable[[], None] | None = None

    @property
    def threads(self) -> int:
        """Every CPU unless told: the engine has its own process, the flush rate keeps redraws
        cheap, and the engine frees a core while the writer types (bench/terminal.py)."""
        from models.stats import available_threads

        return self._threads or available_threads()

    def load(self, reference: str | None) -> None:
        """Find the model (no download) and start its engine; say what is missing."""
        if self.remote:  # the server's model of that name, or its default
            self.engine.load(reference or "", gpu_layers=None, threads=None)
            return
        from tui.model_choice import find_model

        path, problem = find_model(reference)
        if path is None:
            self.status.set_idle("no model")
            severity = "error" if reference else "information"
            self.host.notify(problem, title="Model", severity=severity, timeout=10)
            return
        self.use(path)

    def use(self, path: Path) -> None:
        """Start an engine process for the model at ``path`` (replacing the current one)."""
        self.engine.load(path, gpu_layers=self.gpu_layers, threads=self.threads)

    def unload(self) -> None:
        """Stop the engine (its model is about to be deleted)."""
        self.engine.close()
        self.name = self.path = None
        self.label = ""
        self.status.show_no_model()

    def with_model(self, reference: str | None, title: str, proceed: Callable[[], None]) -> None:
        """Run ``proceed`` with the model ``reference`` names (a template's): at once when it
        is the one in use or none is named, once it has loaded otherwise."""
        from tui.model_choice import find_model

        path, problem = find_model(reference) if reference else (None, "")
        if problem:
            self.host.notify(problem, title=title, severity="warning", timeout=12)
        elif path is not None and path != self.path:
            self.host.notify(f"Loading {reference} for {title}…", title="Model")
            self._after_load = proceed
            self.use(path)
        else:
            proceed()

    def remote_engine(self) -> RemoteEngine | None:
        """The server's engine client, when the engine is a remote one (the models screen)."""
        from models.remote.engine import RemoteEngine

        client = self.engine.client if self.remote else None
        return client if isinstance(client, RemoteEngine) else None

    # The engine's model events (the status bar shows them first; the main screen hands them on)
    def ready(self, message: ModelReady) -> None:
        self.name = message.name
        self.path = Path(message.path)
        self.label = f"{message.name} {message.quant}".strip()
        for notice in message.notices:
            self.host.notify(notice, title="Model", severity="warning", timeout=10)
        if self._after_load is not None:  # a template waited for its model
            proceed, self._after_load = self._after_load, None
            proceed()

    def crashed(self, message: EngineCrashed) -> None:
        self.name = None
        self.host.notify(message.event.message, title="Engine", severity="error", timeout=20)

    def failed(self, message: ModelFailed) -> None:
        self.name = self.path = None
        self.label = ""
        self.host.notify(message.error, title="Model failed to load", severity="error", timeout=12)
