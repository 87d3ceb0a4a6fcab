"""The quillpen App: a thin shell around the screens, the settings and two sessions.

Each behaviour is one hop from here:

- the document (open, save, save as, unsaved questions, journal, autosave): :mod:`tui.session`;
- the model (load, replace, unload, its events, what waits for it): :mod:`tui.model_session`;
- what the panes ask for (dialogs, a reply or template into the editor): :mod:`tui.screens.main`;
- asking the model for text: the widgets themselves, each given the engine client
  (:mod:`tui.widgets.editor`, :mod:`tui.widgets.chat`, :mod:`tui.screens.alternatives`);
- keys: :mod:`tui.bindings`; the command palette: :mod:`tui.commands`;
- the command line and ``launch``: :mod:`tui.cli`; a dropped terminal: :mod:`tui.hangup`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events, on
from textual.app import App, SystemCommand
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState

from models.hub.offline import set_offline
from models.text import printable
from tui import bindings
from tui import config as config_mod
from tui.engine_on_demand import EngineOnDemand
from tui.key_order import in_key_order
from tui.model_session import ModelSession
from tui.screens.main import MainScreen
from tui.session import DocumentSession
from tui.side_panes import SidePanes
from tui.store import ui_state
from tui.textual_private import leave_threads_behind, open_loop, patch_textual
from tui.widgets.editor import WriterEditor
from tui.widgets.status import StatusBar

if TYPE_CHECKING:
    from tui.widgets.chat import ChatPane


class QuillpenApp(App[None]):
    """A terminal writing studio around a local GPT-2."""

    TITLE = "quillpen"
    CSS_PATH = ["app.tcss"]
    """The main screen's styles: all the first frame needs (the rest: :mod:`tui.side_panes`)."""
    BINDINGS = bindings.APP

    def __init__(
        self,
        file: Path | None = None,
        *,
        model: str | None = None,
        gpu_layers: int | str | None = None,
        threads: int | None = None,
        cpu_repack: str | None = None,
        engine: str | None = None,
        settings: config_mod.Settings | None = None,
    ) -> None:
        patch_textual()  # (a long draft's rows counted once; Alt+S read as one key)
        self.settings = settings = settings or config_mod.load()
        set_offline(settings.offline)
        super().__init__()
        chosen = settings.theme or ui_state.load().get("theme")
        self.theme = chosen if chosen in self.available_themes else "textual-dark"
        self.file = file
        self.remote = config_mod.remote_target(engine, self.settings)
        """The remote engine in use (``--engine``, ``engine =``), or None: the local one."""
        self.model_ref = model or (None if self.remote else self.settings.model)
        self.status = StatusBar(id="status")
        self.engine = EngineOnDemand(
            self.remote,
            self.status,
            cpu_repack=cpu_repack or self.settings.cpu_repack,
            on_retry=lambda retry: self.call_from_thread(self.notify, retry.message),
        )
        """Opened when first used: after the first frame (a remote one at once)."""
        self.model = ModelSession(
            self,
            self.engine,
            self.status,
            remote=self.remote is not None,
            gpu_layers=gpu_layers if gpu_layers is not None else self.settings.gpu_layers,
            threads=threads or self.settings.threads,
        )
        """The model's life: load, replace, unload, its events (:mod:`tui.model_session`)."""
        self.session = DocumentSession(self)
        self.editor = WriterEditor(
            self.engine, self.session, self.model, self.settings, id="editor"
        )
        self.panes = SidePanes(self, self.session, self.editor, self.engine, self.settings)
        """Chat and templates: made after the first frame (:mod:`tui.side_panes`)."""
        self.after_first_frame: list[Callable[[], None]] = []
        """Run once the document is on screen (:mod:`tui.cli` resumes garbage collection)."""

    @property
    def chat(self) -> ChatPane:
        """The chat pane (made now if it was not yet)."""
        return self.panes.chat

    def watch_theme(self, theme: str) -> None:
        """A theme picked from the palette is remembered for the next start."""
        if self.is_running and theme in self.available_themes:
            ui_state.save(theme=theme)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded and self.engine.busy:
            self.engine.writer_active()  # keys echo at once, even while the model runs
        await super().on_event(event)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Document keys belong to the main screen, not to dialogs on top of it."""
        document_key = action in ("save", "open", "new", "continue_text")
        return not (document_key and isinstance(self.screen, ModalScreen))

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Notices carry file names and model output: plain text, never markup or escapes."""
        super().notify(
            printable(message),
            title=printable(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    # Start-up and exit -----------------------------------------------------------------------
    def get_default_screen(self) -> Screen[Any]:
        return MainScreen(self.editor, self.status, self.model, self.panes)

    def push_screen(self, *args: Any, **kwargs: Any) -> Any:
        """Every screen but the main one has its styles in ``screens.tcss``: read now if they
        were not yet (a question asked as the document opens may come before the first frame)."""
        self.panes.read_css()
        return super().push_screen(*args, **kwargs)

    def on_mount(self) -> None:
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)
        warnings = [*self.settings.warnings, *bindings.keymap_problems(self.settings.keymap)]
        if (theme := self.settings.theme) is not None and theme not in self.available_themes:
            warnings.append(config_mod.unknown_theme(theme))
        for warning in warnings:
            self.notify(warning, title="Settings", severity="warning", timeout=8)
        if self.file is None:
            self.session.start_untitled()
        else:
            self.session.open_path(self.file)
        self.call_after_refresh(self.model.load, self.model_ref)
        if self.settings.autosave_seconds > 0:
            self.set_interval(max(5.0, self.settings.autosave_seconds), self.session.autosave)
        self.call_after_refresh(self._first_frame_drawn)

    def _first_frame_drawn(self) -> None:
        for callback in self.after_first_frame:
            callback()
        self.after_first_frame.clear()

    def on_unmount(self) -> None:
        self.engine.close()
        if self.session.dirty:
            self.session.flush_journal()

    def journal_now(self) -> None:
        """A hang-up (:mod:`tui.hangup`): the recovery copy, at once."""
        self.session.journal_now()

    def end_children(self) -> None:
        self.engine.kill()

    def exit_soon(self) -> None:
        if (loop := open_loop(self)) is not None:
            loop.call_soon_threadsafe(self.exit)

    def exit(self, *args: Any, **kwargs: Any) -> None:
        """Close the app at once, Ctrl+Q or a hang-up, whatever a worker thread is doing (a
        download: :func:`tui.textual_private.leave_threads_behind`)."""
        leave_threads_behind(self)
        super().exit(*args, **kwargs)

    @property
    def model_name(self) -> str | None:
        """The loaded model's name (tests and scripts wait for it): :attr:`model`'s."""
        return self.model.name

    # The document (tui.session) --------------------------------------------------------------
    def action_save(self) -> None:
        in_key_order(self, lambda: self.session.run(self.session.save()))

    def action_open(self) -> None:
        in_key_order(self, lambda: self.session.run(self.session.open()))

    def action_new(self) -> None:
        """Start an untitled document (asks first if there are unsaved changes)."""
        in_key_order(self, lambda: self.session.run(self.session.new()))

    async def action_quit(self) -> None:
        in_key_order(self, lambda: self.session.run(self.session.quit()))

    def action_notes(self) -> None:
        self.session.run(self.session.edit_notes())

    def action_stop(self) -> None:
        """Esc: stop whatever is being generated."""
        if self.engine.busy:
            self.engine.cancel()

    # Panes, screens and commands -------------------------------------------------------------
    def show_pane(self, name: str) -> None:
        screen = self.screen_stack[0]
        if isinstance(screen, MainScreen):
            screen.action_show_pane(name)

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen, binding_rows

        rows = binding_rows(bindings.help_groups(), self.settings.keymap)
        self.push_screen(HelpScreen(rows))

    def action_models(self) -> None:
        from tui.screens.models import ModelsScreen
        from tui.screens.remote_models import RemoteModelsScreen

        if (remote := self.model.remote_engine()) is not None:  # the server's models
            self.push_screen(RemoteModelsScreen(remote))
        elif not isinstance(self.screen, ModelsScreen):
            self.push_screen(ModelsScreen(self.model))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        from tui.commands import quillpen_commands

        yield from super().get_system_commands(screen)
        yield from quillpen_commands(self)

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.notify(f"{event.worker.name} stopped: {event.worker.error}", severity="error")
