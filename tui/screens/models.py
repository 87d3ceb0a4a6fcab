"""F5: models on this machine (use, delete), the catalog (pull with progress, cancel), settings."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import (
    Button,
    DataTable,
    Footer,
    Input,
    Label,
    ProgressBar,
    Select,
    Static,
    Switch,
)
from textual.worker import Worker, WorkerState

from models.errors import QuillpenError
from models.hub import cache as store
from models.hub import catalog
from models.hub import download as hub
from models.progress import PullCancelled, callback_progress
from tui.screens.dialogs import Choice

if TYPE_CHECKING:
    from tui.model_session import ModelSession


class ModelsScreen(Screen[None]):
    """Manage models without leaving the app; every failure is a message, never a crash."""

    BINDINGS = [
        Binding("escape", "close", "Back", id="models.close"),
        Binding("enter", "use", "Use selected", id="models.use", show=False),
        Binding("delete", "delete", "Delete selected", id="models.delete"),
        Binding("ctrl+g", "pull", "Pull", id="models.pull"),
    ]

    class Progress(Message):
        def __init__(self, desc: str, done: int, total: int | None) -> None:
            super().__init__()
            self.desc, self.done, self.total = desc, done, total

    class Note(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, model: ModelSession) -> None:
        super().__init__()
        self.model = model
        self._cancel = threading.Event()
        self._local: list[store.LocalModel] = []

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="models-body"):
            yield Label("Models", id="models-title")
            yield Static("", id="active-model", markup=False)
            yield Label("On this machine", classes="section")
            yield DataTable(id="local-models", cursor_type="row", zebra_stripes=True)
            with Horizontal(classes="buttons"):
                yield Button("Use", id="use", variant="primary")
                yield Button("Delete", id="delete", variant="error")
            yield Label("Download from the Hub", classes="section")
            with Horizontal(classes="pull-row"):
                yield Select(
                    [
                        (f"{s.name} ({s.params}, {s.language_name})", s.name)
                        for s in catalog.CATALOG.values()
                    ],
                    value=catalog.DEFAULT_MODEL,
                    allow_blank=False,
                    id="pull-name",
                )
                yield Select(
                    [(q, q) for q in catalog.QUANTS],
                    value=catalog.DEFAULT_QUANT,
                    allow_blank=False,
                    id="pull-quant",
                )
            yield Input(
                placeholder="or any Hub repo: owner/name or owner/name:file.gguf", id="pull-repo"
            )
            with Horizontal(classes="buttons"):
                yield Button("Pull", id="pull", variant="success")
                yield Button("Cancel download", id="cancel-pull", disabled=True)
            yield ProgressBar(id="pull-progress", show_eta=False)
            yield Static("", id="pull-status", markup=False)
            yield Label("Your voice", classes="section")
            with Horizontal(classes="buttons"):
                yield Button("Teach a voice…", id="teach-voice")
                yield Button("Stop teaching", id="stop-voice", disabled=True)
            yield Static("", id="voice-status", markup=False)
            yield Label("Settings for this session", classes="section")
            with Horizontal(classes="settings-row"):
                yield Label("GPU layers (number, auto or all):")
                yield Input(str(self.model.gpu_layers), id="gpu-layers")
                yield Label("Offline:")
                yield Switch(hub.is_offline(), id="offline")
        yield Footer()

    def on_unmount(self) -> None:
        self._cancel.set()  # a pull still running stops at its next chunk or step

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Name", "Quant", "Size", "Path")
        self.refresh_models()
        (table if self._local else self.query_one("#pull-name")).focus()
        self._voice_shown: object = None
        self.set_interval(0.25, self._show_voice)
        self._show_voice()

    def refresh_models(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        self._local = store.list_local()
        for m in self._local:
            table.add_row(*map(Text, (_label(m.name), m.quant, m.size_text, str(m.path))))
        active = self.model.name
        text = f"Active model: {active}" if active else "No model loaded."
        if not self._local:
            text += "  Nothing downloaded yet: pick a model below and press Pull (try gpt2)."
        self.query_one("#active-model", Static).update(text)
        for button in ("#use", "#delete"):
            self.query_one(button, Button).disabled = not self._local

    def _selected(self) -> store.LocalModel | None:
        table = self.query_one(DataTable)
        if not self._local or table.cursor_row is None or table.cursor_row >= len(self._local):
            return None
        return self._local[table.cursor_row]

    # Actions ---------------------------------------------------------------------------------
    def action_close(self) -> None:
        if self._pulling():
            self.action_cancel_pull()
            return
        self.app.pop_screen()

    def action_use(self) -> None:
        model = self._selected()
        if model is None:
            self.notify("Select a model first.", severity="warning")
            return
        self._apply_gpu_layers()
        self.model.use(model.path)
        self.notify(f"Loading {model.name} {model.quant}…")
        self.app.pop_screen()

    def action_delete(self) -> None:
        model = self._selected()
        if model is None:
            return

        active = self.model.path is not None and _same(self.model.path, model.path)

        def answer(choice: str | None) -> None:
            if choice != "delete":
                return
            if active:
                self.model.unload()
            try:
                model.path.unlink()
                if not any(model.path.parent.iterdir()):
                    model.path.parent.rmdir()
            except OSError as exc:
                self.notify(f"cannot delete {model.path}: {exc.strerror}", severity="error")
            self.refresh_models()

        self.app.push_screen(
            Choice(
                f"Delete {model.name} {model.quant} ({model.size_text})?"
                + (
                    " It is the model in use: it is unloaded first, and Tab waits for "
                    "another model."
                    if active
                    else ""
                ),
                [("delete", "Delete"), ("cancel", "Cancel")],
            ),
            answer,
        )

    def action_pull(self) -> None:
        if self._pulling():
            return
        repo = self.query_one("#pull-repo", Input).value.strip()
        name = repo or str(self.query_one("#pull-name", Select).value)
        quant = str(self.query_one("#pull-quant", Select).value)
        self._cancel.clear()
        bar = self.query_one(ProgressBar)
        bar.update(total=None, progress=0)
        bar.add_class("active")
        self.query_one("#cancel-pull", Button).disabled = False
        self.query_one("#pull", Button).disabled = True
        self.query_one("#pull-status", Static).update(f"Pulling {name} {quant}…")
        self._pull(name, quant)

    def action_cancel_pull(self) -> None:
        self._cancel.set()

    def _pulling(self) -> bool:
        return any(w.group == "pull" and w.state == WorkerState.RUNNING for w in self.workers)

    @work(thread=True, exclusive=True, group="pull", exit_on_error=False)
    def _pull(self, name: str, quant: str) -> Path:
        def report(desc: str, done: int, total: int | None) -> None:
            self.post_message(self.Progress(desc, done, total))

        return hub.pull(
            name,
            quant=quant,
            notify=self._note,
            tqdm_class=callback_progress(report, self._cancel),
            cancel=self._cancel,
        )

    def _note(self, text: str) -> None:
        self.post_message(self.Note(text))

    # Events ----------------------------------------------------------------------------------
    def on_models_screen_progress(self, message: Progress) -> None:
        bar = self.query_one(ProgressBar)
        bar.update(total=message.total, progress=message.done)
        mb = message.done / 1e6
        of = f" of {message.total / 1e6:.1f} MB" if message.total else " MB"
        name = message.desc.rsplit("/", 1)[-1] or "download"
        self.query_one("#pull-status", Static).update(f"{name}: {mb:.1f}{of}")

    def on_models_screen_note(self, message: Note) -> None:
        self.query_one("#pull-status", Static).update(message.text)

    @on(Worker.StateChanged)
    def _pull_state(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "pull" or event.state not in (
            WorkerState.SUCCESS,
            WorkerState.ERROR,
            WorkerState.CANCELLED,
        ):
            return
        self.query_one("#cancel-pull", Button).disabled = True
        self.query_one("#pull", Button).disabled = False
        self.query_one(ProgressBar).remove_class("active")
        status = self.query_one("#pull-status", Static)
        if event.state == WorkerState.SUCCESS:
            path = event.worker.result
            status.update(f"Ready: {path}")
            self.notify(f"Downloaded {Path(str(path)).name}. Select it and press Use.")
        else:
            error: Any = event.worker.error
            if isinstance(error, PullCancelled):
                status.update("Cancelled. Nothing partial was kept; Pull again to start over.")
            elif isinstance(error, QuillpenError):
                status.update(f"Failed: {error}")
                self.notify(str(error), title="Download failed", severity="error", timeout=12)
            else:
                status.update(f"Failed: {error!r}")
                self.notify(f"unexpected error: {error!r}", severity="error")
        self.refresh_models()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        actions = {
            "use": self.action_use,
            "delete": self.action_delete,
            "pull": self.action_pull,
            "cancel-pull": self.action_cancel_pull,
            "teach-voice": self.action_teach_voice,
            "stop-voice": self.action_stop_voice,
        }
        if event.button.id in actions:
            actions[event.button.id]()

    # Teaching a voice (tui.voice_job) --------------------------------------------------------
    def action_teach_voice(self) -> None:
        from tui import voice_job
        from tui.screens.teach_voice import TeachVoiceScreen

        if voice_job.current is not None and voice_job.current.running:
            self.notify("A voice is being taught already.", severity="warning")
            return

        def start(request: voice_job.VoiceRequest | None) -> None:
            if request is not None:
                voice_job.VoiceJob(self.app, request, self.model.use).start()
                self._show_voice()

        self.app.push_screen(TeachVoiceScreen(), start)

    def action_stop_voice(self) -> None:
        from tui import voice_job

        if voice_job.current is not None:
            voice_job.current.stop()
            self.query_one("#voice-status", Static).update("Stopping after this step…")

    def _show_voice(self) -> None:
        from tui import voice_job

        job = voice_job.current
        state = (job.status, job.running) if job else None
        if state == self._voice_shown:
            return
        if job is not None and not job.running and self._voice_shown and self._voice_shown[1]:  # type: ignore[index]
            self.refresh_models()  # the new voice is on the list
        self._voice_shown = state
        self.query_one("#voice-status", Static).update(job.status if job else "")
        self.query_one("#stop-voice", Button).disabled = not (job and job.running)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_use()

    @on(Switch.Changed, "#offline")
    def _offline(self, event: Switch.Changed) -> None:
        hub.set_offline(event.value, force=True)

    @on(Input.Submitted, "#gpu-layers")
    def _gpu_submitted(self) -> None:
        self._apply_gpu_layers()

    @on(Input.Submitted, "#pull-repo")
    def _repo_submitted(self) -> None:
        self.action_pull()

    def _apply_gpu_layers(self) -> None:
        raw = self.query_one("#gpu-layers", Input).value.strip() or "0"
        if raw == "auto" or raw.isdigit():
            self.model.gpu_layers = raw if raw in ("auto", "all") else int(raw)
        else:
            self.notify("GPU layers: a number, 'auto' or 'all'.", severity="warning")


def _label(name: str) -> str:
    """A model's name, with "voice of BASE" for one taught here (models.voice)."""
    from models.voice.place import read_meta

    meta = read_meta(name)
    return f"{name} (voice of {meta.get('base')})" if meta else name


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False
