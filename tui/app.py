"""The quillpen App: a thin shell around the screens, the settings and the engine client.

Each behaviour is one hop from here:

- the document (open, save, save as, unsaved questions, journal, autosave): :mod:`tui.session`;
- asking the model for text: the widgets themselves, each given the engine client
  (:mod:`tui.widgets.editor`, :mod:`tui.widgets.chat`, :mod:`tui.screens.alternatives`);
- keys: :mod:`tui.bindings`; the command palette: :mod:`tui.commands`;
- the command line and ``launch``: :mod:`tui.cli`; a dropped terminal: :mod:`tui.hangup`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events, on
from textual.app import App, SystemCommand
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import TextArea
from textual.worker import Worker, WorkerState

from models.hub.offline import set_offline
from models.text import printable
from tui import bindings
from tui import config as config_mod
from tui.engine_on_demand import EngineOnDemand
from tui.keys import in_key_order
from tui.screens.main import MainScreen
from tui.session import DocumentSession
from tui.store import ui_state
from tui.textual_private import count_wrapped_rows_once, read_alt_keys_whole
from tui.widgets.editor import WriterEditor
from tui.widgets.status import StatusBar

if TYPE_CHECKING:
    from models.sampling import SamplerSettings
    from tui.messages import EngineCrashed, ModelFailed, ModelReady
    from tui.templates import Template
    from tui.widgets.chat import ChatPane
    from tui.widgets.templates import TemplatePane

log = logging.getLogger("quillpen.app")


class QuillpenApp(App[None]):
    """A terminal writing studio around a local GPT-2."""

    TITLE = "quillpen"
    CSS_PATH = ["app.tcss"]
    """The main screen's styles: all the first frame needs."""
    LATER_CSS_PATH = [
        Path(__file__).with_name("screens.tcss"),
        Path(__file__).with_name("widgets") / "chat.tcss",
        Path(__file__).with_name("widgets") / "templates.tcss",
    ]
    """Read after the first frame, in this order after ``app.tcss``: as the chat and template
    panes join (:meth:`side_panes`), or as another screen opens (:meth:`push_screen`)."""
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
        count_wrapped_rows_once()  # (typing into a long draft: textual_private)
        read_alt_keys_whole()  # (Alt+S as one key, never "^s" typed: tui.alt_keys)
        self.settings = settings or config_mod.load()
        set_offline(self.settings.offline)
        super().__init__()
        chosen = self.settings.theme or ui_state.load().get("theme")
        self.theme = chosen if chosen in self.available_themes else "textual-dark"
        self.file = file
        self.remote = config_mod.remote_target(engine, self.settings)
        """The remote engine in use (``--engine``, ``engine =``), or None: the local one."""
        self.model_ref = model or (None if self.remote else self.settings.model)
        self.gpu_layers = gpu_layers if gpu_layers is not None else self.settings.gpu_layers
        self._threads = threads or self.settings.threads
        self.status = StatusBar(id="status")
        self.engine = EngineOnDemand(
            self.remote,
            self.status,
            cpu_repack=cpu_repack or self.settings.cpu_repack,
            on_retry=lambda retry: self.call_from_thread(self.notify, retry.message),
        )
        """Opened when first used: after the first frame (a remote one at once)."""
        self.model_name: str | None = None
        self.model_path: Path | None = None
        self._after_load: Template | None = None
        self.session = DocumentSession(self)
        self.editor = WriterEditor(self.engine, self.session, self.settings, id="editor")
        self.made_chat: ChatPane | None = None
        """The chat pane once made (:attr:`chat` makes it, after the first frame)."""
        self._templates: TemplatePane | None = None
        self.after_first_frame: list[Callable[[], None]] = []
        """Run once the document is on screen (:mod:`tui.cli` resumes garbage collection)."""

    @property
    def chat(self) -> ChatPane:
        """The chat pane, made when first needed (after the first frame: its modules cost a
        tenth of a launch); it then shows the chat of the document on screen."""
        if self.made_chat is None:
            from tui.widgets.chat import ChatPane

            key = self.session.document.key
            self.made_chat = ChatPane(key, self.editor.prompt_text, self.engine, id="chat")
        return self.made_chat

    @chat.setter
    def chat(self, pane: ChatPane) -> None:  # (settable for the palette's CommandHost)
        self.made_chat = pane

    @property
    def templates(self) -> TemplatePane:
        """The template pane, made when first needed (it reads every template file)."""
        if self._templates is None:
            from tui.widgets.templates import TemplatePane

            self._templates = TemplatePane(id="templates")
        return self._templates

    @property
    def threads(self) -> int:
        """Every CPU unless told: the engine has its own process, the flush rate keeps redraws
        cheap, and the engine frees a core while the writer types (bench/terminal.py)."""
        from models.stats import available_threads

        return self._threads or available_threads()

    @property
    def sampler(self) -> SamplerSettings:
        return self.settings.sampler

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
        return MainScreen(self.editor, self.status, self.side_panes)

    def side_panes(self) -> tuple[Widget, Widget]:
        """Chat and templates with their styles: the main screen adds them after the first frame."""
        self._read_later_css()
        return self.chat, self.templates

    def _read_later_css(self) -> None:
        stylesheet = self.stylesheet
        if not all(stylesheet.has_source(str(path)) for path in self.LATER_CSS_PATH):
            stylesheet.read_all(self.LATER_CSS_PATH)
            stylesheet.parse()

    def push_screen(self, *args: Any, **kwargs: Any) -> Any:
        """Every screen but the main one has its styles in ``screens.tcss``: read now if they
        were not yet (a question asked as the document opens may come before the first frame)."""
        self._read_later_css()
        return super().push_screen(*args, **kwargs)

    def on_mount(self) -> None:
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)
        # Without a user keymap there is nothing to check (and no need to import every screen).
        problems: list[str] = []
        if self.settings.keymap:
            from tui import keymap

            problems = keymap.problems(self.settings.keymap, bindings.contexts())
        warnings = [*self.settings.warnings, *problems]
        if self.settings.theme is not None and self.settings.theme not in self.available_themes:
            warnings.append(
                f"theme {self.settings.theme!r} is not one of Textual's themes; using "
                f"textual-dark (Ctrl+P → 'Change theme' lists them)"
            )
        for warning in warnings:
            self.notify(warning, title="Settings", severity="warning", timeout=8)
        if self.file is None:
            self.session.start_untitled()
        else:
            self.session.open_path(self.file)
        self.call_after_refresh(self.load_model, self.model_ref)
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
        loop = getattr(self, "_loop", None)
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.exit)

    def exit(self, *args: Any, **kwargs: Any) -> None:
        """Close the app at once, Ctrl+Q or a hang-up, whatever a worker thread is doing.

        asyncio waits for its default executor's threads as the app closes, and a thread
        worker blocked on the network (a download) would hold the exit up: the loop gets a
        fresh, idle one; :func:`tui.hangup.leave_now_if_threads_linger` then ends the process
        and what the download left.
        """
        from concurrent.futures import ThreadPoolExecutor

        loop = getattr(self, "_loop", None)
        if loop is not None and not loop.is_closed():
            loop.set_default_executor(ThreadPoolExecutor())
        super().exit(*args, **kwargs)

    # The model -------------------------------------------------------------------------------
    def load_model(self, reference: str | None) -> None:
        """Find the model (no download) and start its engine; say what is missing."""
        if self.remote is not None:  # the server's model of that name, or its default
            self.engine.load(reference or "", gpu_layers=None, threads=None)
            return
        from tui.model_choice import find_model

        path, problem = find_model(reference)
        if path is None:
            self.status.set_idle("no model")
            severity: SeverityLevel = "error" if reference else "information"
            self.notify(problem, title="Model", severity=severity, timeout=10)
            return
        self.use_model(path)

    def use_model(self, path: Path) -> None:
        """Start an engine process for the model at ``path`` (replacing the current one)."""
        self.engine.load(path, gpu_layers=self.gpu_layers, threads=self.threads)

    def unload_model(self) -> None:
        """Stop the engine (its model is about to be deleted)."""
        self.engine.close()
        self.model_name = self.model_path = None
        self.status.show_no_model()

    # (The status bar shows these model events first: they are delivered to it and bubble up.)
    def on_model_ready(self, message: ModelReady) -> None:
        self.model_name = message.name
        self.model_path = Path(message.path)
        for notice in message.notices:
            self.notify(notice, title="Model", severity="warning", timeout=10)
        if self._after_load is not None:  # a template waited for its model
            self.editor.continue_template(self._after_load)
            self._after_load = None

    def on_engine_crashed(self, message: EngineCrashed) -> None:
        self.model_name = None
        self.notify(message.event.message, title="Engine", severity="error", timeout=20)

    def on_model_failed(self, message: ModelFailed) -> None:
        self.model_name = self.model_path = None
        self.notify(message.error, title="Model failed to load", severity="error", timeout=12)

    # The document (tui.session) --------------------------------------------------------------
    @on(TextArea.Changed, "#editor")
    def _editor_changed(self) -> None:
        self.session.text_changed()

    @on(WriterEditor.Journal)
    def _journal_requested(self) -> None:
        self.session.schedule_journal()

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
    def on_chat_pane_insert_reply(self, message: ChatPane.InsertReply) -> None:
        from tui.reply_join import insert_reply

        insert_reply(self.editor, message.text)  # at a word or line boundary
        self.show_pane("editor")

    def on_template_pane_use(self, message: TemplatePane.Use) -> None:
        """Write the opening, and continue it with the model the template is written for."""
        from tui.model_choice import find_model

        template = message.template
        path, problem = find_model(template.model) if template.model else (None, "")
        if problem:  # before writing anything: the opening waits for its model
            self.notify(problem, title=template.title, severity="warning", timeout=12)
            return
        self.show_pane("editor")
        self.editor.write_template(message.text, message.examples)
        if path is not None and path != self.model_path:
            self.notify(f"Loading {template.model} for {template.title}…", title="Model")
            self._after_load = template
            self.use_model(path)
        else:
            self.editor.continue_template(template)

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

        if self.remote is not None:  # the server's models
            self.push_screen(RemoteModelsScreen(self.engine.client))  # type: ignore[arg-type]
        elif not isinstance(self.screen, ModelsScreen):
            self.push_screen(ModelsScreen())

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        from tui.commands import quillpen_commands

        yield from super().get_system_commands(screen)
        yield from quillpen_commands(self)

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.notify(f"{event.worker.name} stopped: {event.worker.error}", severity="error")
