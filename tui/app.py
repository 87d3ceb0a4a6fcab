"""The quillpen App: owns the document, the settings and the generation worker."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events, on
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen, Screen
from textual.widgets import TextArea
from textual.worker import Worker, WorkerState

from models import store
from models.catalog import DEFAULT_MODEL
from models.context import MEMORY_MAX, NOTE_MAX
from models.engine import StreamStats, available_threads
from models.engine_client import EngineClient, GenerateRequest
from models.errors import QuillpenError
from models.hub import set_offline
from models.local_engine import LocalEngine
from models.prompts import StorySpec
from models.sampling import SamplerSettings, preset
from models.text import printable
from tui import config as config_mod
from tui import document as docs
from tui import hangup, keymap, ui_state
from tui.document import Document, NotUtf8
from tui.keys import in_key_order
from tui.messages import (
    EngineCrashed,
    GenerationChunk,
    GenerationFinished,
    GenerationStarted,
    ModelFailed,
    ModelLoading,
    ModelReady,
    deliver,
)
from tui.screens.alternatives import AlternativesScreen
from tui.screens.dialogs import AskPath, Choice
from tui.screens.help import HelpScreen, binding_rows
from tui.screens.main import MainScreen
from tui.screens.notes import NotesScreen
from tui.story_notes import StoryNotes, load_notes, save_notes
from tui.widgets.chat import ChatPane
from tui.widgets.editor import WriterEditor
from tui.widgets.status import StatusBar
from tui.widgets.templates import TemplatePane

if TYPE_CHECKING:
    from argparse import Namespace

log = logging.getLogger("quillpen.app")
JOURNAL_DELAY = 0.5
FLUSH_MIN, FLUSH_MAX = 1 / 30, 0.4
"""Bounds of the seconds between streamed chunks."""
UI_SHARE = 0.06
"""The share of one core the editor may spend drawing streamed text; the engine's flush rate
follows the measured redraw cost. On 2 cores every UI wake-up stalls one of llama.cpp's
threads, so fewer, larger chunks keep the engine near its bare speed (docs/performance.md)."""
ALTERNATIVES = 3
ALTERNATIVE_TOKENS = 24


class QuillpenApp(App[None]):
    """A terminal writing studio around a local GPT-2."""

    TITLE = "quillpen"
    CSS_PATH = ["app.tcss", "widgets/chat.tcss", "widgets/templates.tcss"]
    BINDINGS = [
        Binding("f1", "help", "Help", id="app.help"),
        Binding("f5", "models", "Models", id="app.models"),
        Binding("ctrl+s", "save", "Save", id="app.save", priority=True),
        Binding("ctrl+o", "open", "Open", id="app.open", priority=True, show=False),
        Binding("ctrl+n", "new", "New", id="app.new", priority=True, show=False),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True, show=False),
        Binding("escape", "stop", "Stop", id="app.stop", show=False),
        Binding("f8", "notes", "Memory & note", id="app.notes"),
    ]

    def __init__(
        self,
        file: Path | None = None,
        *,
        model: str | None = None,
        gpu_layers: int | str | None = None,
        threads: int | None = None,
        cpu_repack: str | None = None,
        settings: config_mod.Settings | None = None,
    ) -> None:
        self.settings = settings or config_mod.load()
        set_offline(self.settings.offline)
        super().__init__()
        chosen = self.settings.theme or ui_state.load().get("theme")
        self.theme = chosen if chosen in self.available_themes else "textual-dark"
        self.file = file
        self.model_ref = model or self.settings.model
        self.gpu_layers = gpu_layers if gpu_layers is not None else self.settings.gpu_layers
        # Every CPU: the engine has its own process, the flush rate keeps redraws cheap, and
        # the engine frees a core while the writer types (bench/terminal.py).
        self.threads = threads or self.settings.threads or available_threads()
        self._redraw_cost = 0.0
        self._flush_interval = 1 / 20
        self.engine: EngineClient = LocalEngine(
            deliver(self), cpu_repack=cpu_repack or self.settings.cpu_repack
        )
        self.document = Document()
        self.dirty = False
        self.notes = StoryNotes()
        self._clean_text: str | None = ""
        self.model_name: str | None = None
        self.model_path: Path | None = None
        self.last_stats = StreamStats()
        self._idle = "no model"
        self._cuts_told: tuple[int, int] = (0, 0)
        """Facts about the last generation (tokens, speed, why it stopped)."""
        self._journal_timer: Any = None
        self.editor = WriterEditor(id="editor")
        self.chat = ChatPane(self.document.key, self.editor.prompt_text, self.engine, id="chat")
        self.templates = TemplatePane(id="templates")
        self.status = StatusBar(id="status")

    def watch_theme(self, theme: str) -> None:
        """A theme picked from the palette is remembered for the next start."""
        if self.is_running and theme in self.available_themes:
            ui_state.save(theme=theme)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded and self.engine.busy:
            self.engine.writer_active()  # keys echo at once, even while the model runs
        await super().on_event(event)

    @on(WriterEditor.RedrawCost)
    def _pace(self, message: WriterEditor.RedrawCost) -> None:
        """Set the engine's flush rate so drawing streamed text takes ≤ UI_SHARE of a core."""
        cost = message.seconds
        self._redraw_cost = 0.7 * self._redraw_cost + 0.3 * cost if self._redraw_cost else cost
        interval = min(FLUSH_MAX, max(FLUSH_MIN, self._redraw_cost / UI_SHARE))
        if abs(interval - self._flush_interval) > 0.2 * self._flush_interval:
            self._flush_interval = interval
            self.engine.set_flush_interval(interval)

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

    # Start-up --------------------------------------------------------------------------------
    @property
    def sampler(self) -> SamplerSettings:
        return self.settings.sampler

    def get_default_screen(self) -> Screen[Any]:
        return MainScreen(self.editor, self.chat, self.templates, self.status)

    def on_mount(self) -> None:
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)
        warnings = [*self.settings.warnings, *keymap.problems(self.settings.keymap, contexts())]
        if self.settings.theme is not None and self.settings.theme not in self.available_themes:
            warnings.append(
                f"theme {self.settings.theme!r} is not one of Textual's themes; using "
                f"textual-dark (Ctrl+P → 'Change theme' lists them)"
            )
        for warning in warnings:
            self.notify(warning, title="Settings", severity="warning", timeout=8)
        self._open_initial()
        self.call_after_refresh(self.load_model, self.model_ref)
        if self.settings.autosave_seconds > 0:
            self.set_interval(max(5.0, self.settings.autosave_seconds), self.autosave)

    # A hang-up (tui.hangup) ------------------------------------------------------------------
    def journal_now(self) -> None:
        """Write the recovery copy at once, touching no widget (safe in a signal handler)."""
        text = self.editor.text
        if self.dirty or text != self._clean_text:
            docs.write_journal(self.document, text)

    def end_children(self) -> None:
        self.engine.kill()

    def exit_soon(self) -> None:
        loop = getattr(self, "_loop", None)
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.exit)

    def _open_initial(self) -> None:
        if self.file is None:
            self._start_untitled()
            return
        self._open_path(self.file)

    def _start_untitled(self) -> None:
        """An untitled document: the draft a crash left behind, if any, else empty."""
        self._open_document(Document(), "")

    def _open_document(self, doc: Document, text: str) -> None:
        """Show ``doc``, or the newer text a crash left in its journal, saying so."""
        recovered = docs.read_journal(doc)
        if recovered is None or recovered == text:
            docs.clear_journal(doc)
            self._set_document(doc, text)
            return
        self._set_document(doc, recovered, recovered=True)
        what = "unsaved text" if doc.path else "an untitled draft"
        self.notify(
            f"Recovered {what} from the last session (shown now). Save it with Ctrl+S, or run "
            "'Discard recovered text' from the palette (Ctrl+P).",
            title="Recovered",
            severity="warning",
            timeout=15,
        )

    def load_model(self, reference: str | None) -> None:
        """Find the model (no download) and start its engine; say what is missing."""
        try:
            path = store.resolve(reference or DEFAULT_MODEL)
        except QuillpenError as exc:
            self._set_idle("no model")
            if reference:
                self.notify(str(exc), title="Model", severity="error", timeout=10)
            else:
                self.notify(
                    "No model downloaded yet. Press F5 to get GPT-2 "
                    "(or run `quillpen models pull`). Editing and saving work meanwhile.",
                    title="Model",
                    timeout=10,
                )
            return
        self.use_model(path)

    def use_model(self, path: Path) -> None:
        """Start an engine process for the model at ``path`` (replacing the current one)."""
        self.engine.load(path, gpu_layers=self.gpu_layers, threads=self.threads)

    # Model messages --------------------------------------------------------------------------
    def _set_idle(self, state: str) -> None:
        """The engine's state, shown whenever nothing is being generated."""
        self._idle = state
        if self.status.state != "generating" or not self.engine.busy:
            self.status.state = state

    def on_model_loading(self, message: ModelLoading) -> None:
        self._set_idle("loading…")
        self.status.model_name = Path(message.path).stem

    def unload_model(self) -> None:
        """Stop the engine (its model is about to be deleted)."""
        self.engine.close()
        self.model_name = None
        self.model_path = None
        self.status.model_name = ""
        self._set_idle("no model")

    def on_model_ready(self, message: ModelReady) -> None:
        self.model_name = message.name
        self.model_path = Path(message.path)
        status = self.status
        status.model_name = f"{message.name} {message.quant}"
        status.window = message.n_ctx
        self._set_idle("ready (safe mode)" if message.safe_mode else "ready")
        for notice in message.notices:
            self.notify(notice, title="Model", severity="warning", timeout=10)

    def on_engine_crashed(self, message: EngineCrashed) -> None:
        crash = message.event
        self.model_name = None
        self._set_idle("restarting…" if crash.restarting else "engine stopped")
        self.notify(crash.message, title="Engine", severity="error", timeout=20)

    def on_model_failed(self, message: ModelFailed) -> None:
        self.model_name = None
        self._set_idle("no model")
        self.status.model_name = ""
        self.notify(message.error, title="Model failed to load", severity="error", timeout=12)

    # Generation (editor) ---------------------------------------------------------------------
    def action_continue_text(self) -> None:
        """Tab: continue the document at the cursor (after the keys typed just before it)."""
        in_key_order(self, self._continue_text)

    def _continue_text(self) -> None:
        editor = self.editor
        if self.model_name is None:
            self.notify(
                "No model is loaded: press F5 to choose or download one.", severity="warning"
            )
            return
        if editor.generating:
            self.engine.cancel()
            return
        self.start_continuation()

    def start_continuation(
        self,
        max_tokens: int | None = None,
        settings: SamplerSettings | None = None,
        stop: Sequence[str] = (),
    ) -> None:
        editor = self.editor
        text = editor.prompt_text()
        max_new = max_tokens or self.settings.continue_tokens
        request = GenerateRequest(
            StorySpec(text, self.notes.memory, self.notes.note),
            settings=settings or self.sampler,
            max_tokens=max_new,
            stop=stop,
        )
        self.flush_journal()  # on disk before the engine runs: nothing typed is lost to a crash
        editor.begin_generation(request.id)
        self.engine.submit(request, deliver(editor))
        self.status.state = "generating"

    def action_alternatives(self) -> None:
        """F6: write a few short continuations and let the user pick one."""
        in_key_order(self, self._alternatives)

    def _alternatives(self) -> None:
        if self.model_name is None:
            self.notify(
                "No model is loaded: press F5 to choose or download one.", severity="warning"
            )
            return
        spec = StorySpec(self.editor.prompt_text(), self.notes.memory, self.notes.note)
        requests = [
            GenerateRequest(spec, self.sampler.with_(seed=None), ALTERNATIVE_TOKENS)
            for _ in range(ALTERNATIVES)
        ]
        ids = [r.id for r in requests]
        screen = AlternativesScreen(ids)

        def chosen(choice: str | None) -> None:
            self.engine.cancel(ids)
            if choice:
                self.editor.insert_generated(choice)

        self.push_screen(screen, chosen)
        self.flush_journal()
        for request in requests:
            self.engine.submit(request, deliver(screen), exclusive=False)

    def action_stop(self) -> None:
        """Esc: stop whatever is being generated."""
        if self.engine.busy:
            self.engine.cancel()

    @on(GenerationStarted)
    def _generation_started(self, message: GenerationStarted) -> None:
        self.status.context_used = message.prompt_tokens
        facts = message.facts
        self.status.hidden_chars = facts.hidden_chars
        cuts = (facts.memory_cut, facts.note_cut)
        if any(cuts) and cuts != self._cuts_told:
            self._cuts_told = cuts
            parts = [
                f"the {what}'s last {n} token{'s' if n != 1 else ''}"
                for what, n in (("memory", facts.memory_cut), ("author's note", facts.note_cut))
                if n
            ]
            self.notify(
                f"Too long to fit: the model does not see {' or '.join(parts)} "
                f"(memory keeps {MEMORY_MAX} tokens, the note {NOTE_MAX}). Shorten them in F8.",
                title="Memory & note",
                severity="warning",
                timeout=10,
            )

    @on(GenerationChunk)
    def _generation_chunk(self, message: GenerationChunk) -> None:
        self.status.state = "generating"
        self.status.tokens_per_second = message.tokens_per_second

    @on(GenerationFinished)
    def _generation_finished(self, message: GenerationFinished) -> None:
        self.last_stats = message.stats
        status = self.status
        status.state = self._idle
        status.context_used = message.stats.prompt_tokens + message.stats.generated_tokens
        if message.error:
            self.notify(message.error, title="Generation failed", severity="error")

    # Document --------------------------------------------------------------------------------
    def _set_document(self, doc: Document, text: str, *, recovered: bool = False) -> None:
        self.document = doc
        self.notes = load_notes(doc.key)
        self._clean_text = None if recovered else text
        self.editor.load_text(text)
        self.editor.move_cursor(self.editor.document.end)  # Tab continues the text, not its top
        self.editor.clear_marks()
        self.dirty = recovered
        self.chat.set_document(doc.key)
        self._update_title()
        self._count_words()

    def _open_path(self, path: Path, encoding: str | None = None) -> None:
        try:
            doc, text = Document.open(path, encoding=encoding)
        except NotUtf8 as exc:
            self._ask_latin1(path, str(exc))
            return
        except QuillpenError as exc:
            self.notify(str(exc), title="Cannot open", severity="error", timeout=10)
            if not self.document.path and not self.editor.text:
                self._set_document(Document(), "")
            return
        self._open_document(doc, text)

    def _ask_latin1(self, path: Path, question: str) -> None:
        def answer(choice: str | None) -> None:
            if choice == "latin1":
                self._open_path(path, encoding="latin-1")
            elif not self.editor.text:
                self._set_document(Document(), "")

        self.push_screen(
            Choice(question, [("latin1", "Open as Latin-1"), ("cancel", "Cancel")]), answer
        )

    def _update_title(self) -> None:
        self.sub_title = f"{self.document.name}{' ●' if self.dirty else ''}"

    @on(TextArea.Changed, "#editor")
    def _editor_changed(self) -> None:
        if not self.dirty and self.editor.text != self._clean_text:
            self.dirty = True
            self._update_title()
        self._schedule_journal()

    @on(WriterEditor.Journal)
    def _journal_requested(self) -> None:
        self._schedule_journal()

    def _schedule_journal(self) -> None:
        if self._journal_timer is None:
            self._journal_timer = self.set_timer(JOURNAL_DELAY, self.flush_journal)

    def flush_journal(self) -> None:
        """Write the recovery copy now (also on SIGHUP and before every generation)."""
        if self._journal_timer is not None:
            self._journal_timer.stop()
            self._journal_timer = None
        self._count_words()
        if not self.dirty and self.editor.text == self._clean_text:
            return  # (keys typed just now may not have marked the document dirty yet)
        try:
            docs.write_journal(self.document, self.editor.text)
        except OSError as exc:
            self.notify(f"cannot write the recovery copy: {exc}", severity="error")

    def _count_words(self) -> None:
        self.status.words = len(self.editor.text.split())

    def action_save(self) -> None:
        in_key_order(self, self._save)

    def _save(self) -> None:
        if self.document.path is None:
            self.push_screen(AskPath("Save as:"), self._save_as)
            return
        if self.document.changed_on_disk():
            question = f"{self.document.name} changed on disk since you opened it. Overwrite it?"
            self.push_screen(
                Choice(question, [("overwrite", "Overwrite"), ("cancel", "Cancel")]),
                self._overwrite_answer,
            )
            return
        self._write(None)

    def _overwrite_answer(self, choice: str | None) -> None:
        if choice == "overwrite":
            self._write(None)

    def _save_as(self, path: Path | None, then: Callable[[], object] | None = None) -> None:
        """Save under ``path`` (asking before replacing another file), then run ``then``."""
        if path is None:
            return
        target = path.expanduser()
        if target.is_dir():
            self.notify(f"{target} is a folder: give a file name", title="Not saved")
            return

        def write() -> None:
            if self._write(target) and then is not None:
                then()

        current = self.document.path
        if target.exists() and not (current is not None and _same_file(current, target)):
            self.push_screen(
                Choice(
                    f"{target} already exists. Replace it with this document?",
                    [("replace", "Replace"), ("cancel", "Cancel")],
                ),
                lambda choice: write() if choice == "replace" else None,
            )
            return
        write()

    def _write(self, path: Path | None, *, quiet: bool = False) -> bool:
        old_journal = docs.journal_path(self.document)  # a save-as moves the document's key
        try:
            self.document.save(self.editor.text, path)
        except QuillpenError as exc:
            self.notify(str(exc), title="Not saved", severity="error", timeout=12)
            self.flush_journal()
            return False
        for notice in self.document.notices:
            self.notify(notice, severity="warning")
        self.document.notices.clear()
        self.dirty = False
        self._clean_text = self.editor.text
        docs.clear_journal(self.document)
        old_journal.unlink(missing_ok=True)
        if self.notes != StoryNotes():
            save_notes(self.document.key, self.notes)
        self.chat.set_document(self.document.key, keep_history=True)
        self._update_title()
        if not quiet:
            self.notify(f"Saved {self.document.path}", timeout=3)
        return True

    def action_new(self) -> None:
        """Start an untitled document (asks first if there are unsaved changes)."""
        in_key_order(self, lambda: self._unless_unsaved(self._start_untitled))

    def action_notes(self) -> None:
        """F8: edit the memory and author's note of this document."""

        def saved(notes: StoryNotes | None) -> None:
            if notes is not None:
                self.notes = notes
                if not save_notes(self.document.key, notes):
                    self.notify("Could not store the notes on disk (kept for this session).")

        self.push_screen(NotesScreen(self.notes), saved)

    def autosave(self) -> None:
        """Save a named, changed document unless someone else changed the file meanwhile."""
        doc = self.document
        if self.dirty and doc.path is not None and not doc.changed_on_disk():
            self._write(None, quiet=True)

    def action_open(self) -> None:
        def chosen(path: Path | None) -> None:
            if path is not None:
                self._open_path(path)

        in_key_order(
            self,
            lambda: self._unless_unsaved(lambda: self.push_screen(AskPath("Open file:"), chosen)),
        )

    def _unless_unsaved(self, then: Any) -> None:
        """Run ``then`` now, or after the user saves or discards unsaved changes."""
        if not self.dirty and self.editor.text == self._clean_text:
            then()
            return

        def answer(choice: str | None) -> None:
            if choice == "save":
                if self.document.path is None:  # untitled: ask for a name, then go on
                    self.push_screen(AskPath("Save as:"), lambda path: self._save_as(path, then))
                    return
                if self._write(None):
                    then()
            elif choice == "discard":
                docs.clear_journal(self.document)
                self.dirty = False
                then()

        question = f"{self.document.name} has unsaved changes."
        self.push_screen(
            Choice(question, [("save", "Save"), ("discard", "Discard"), ("cancel", "Cancel")]),
            answer,
        )

    async def action_quit(self) -> None:
        in_key_order(self, lambda: self._unless_unsaved(self._quit_now))

    def _quit_now(self) -> None:
        self.engine.close()
        if not self.dirty and self.editor.text == self._clean_text:
            docs.clear_journal(self.document)
        self.exit()

    def on_unmount(self) -> None:
        self.engine.close()
        if self.dirty:
            self.flush_journal()

    def ask_discard_recovery(self) -> None:
        """The palette's "Discard recovered text": asks first (it cannot be undone)."""
        where = self.document.path.name if self.document.path else "an empty untitled document"
        self.push_screen(
            Choice(
                f"Throw away the text in the editor and go back to {where}? This cannot be undone.",
                [("discard", "Discard"), ("cancel", "Cancel")],
            ),
            lambda choice: self.discard_recovery() if choice == "discard" else None,
        )

    def discard_recovery(self) -> None:
        docs.clear_journal(self.document)
        self.dirty = False
        if self.document.path is not None:
            self._open_path(self.document.path)
        else:
            self._set_document(Document(), "")

    # Other panes -----------------------------------------------------------------------------
    @on(ChatPane.InsertReply)
    def _insert_reply(self, message: ChatPane.InsertReply) -> None:
        self.editor.insert(message.text)
        self._pane("editor")

    @on(TemplatePane.Use)
    def _use_template(self, message: TemplatePane.Use) -> None:
        """Write the template's opening at the end of the document and continue it."""
        editor = self.editor
        gap = ""
        if editor.text.strip():
            gap = "\n" if editor.text.endswith("\n") else "\n\n"
        editor.history.checkpoint()  # the opening is one undo step of its own
        editor.insert(gap + message.text, editor.document.end)
        editor.move_cursor(editor.document.end)
        self._pane("editor")
        template = message.template
        if self.model_name is None:
            self.notify("Template written. Load a model (F5) and press Tab to continue it.")
            return
        self.start_continuation(template.max_tokens, preset(template.preset), template.stop)

    # Screens and commands --------------------------------------------------------------------
    def action_help(self) -> None:
        groups: list[tuple[str, Sequence[BindingType]]] = [
            ("App", self.BINDINGS),
            ("Panes", MainScreen.BINDINGS),
            ("Editor", [*WriterEditor.BINDINGS, *EDITOR_EXTRA]),
            ("Chat", ChatPane.BINDINGS),
            ("Templates", TemplatePane.BINDINGS),
            ("App", [Binding("ctrl+p", "command_palette", "Command palette", id="app.palette")]),
        ]
        self.push_screen(HelpScreen(binding_rows(groups, self.settings.keymap)))

    def action_models(self) -> None:
        from tui.screens.models import ModelsScreen

        if not isinstance(self.screen, ModelsScreen):
            self.push_screen(ModelsScreen())

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand(
            "Continue text", "Continue the document at the cursor (Tab)", self.action_continue_text
        )
        yield SystemCommand(
            "Alternatives", "Three short continuations to pick from (F6)", self.action_alternatives
        )
        yield SystemCommand(
            "Stop generating", "Stop the running continuation (Esc)", self.action_stop
        )
        yield SystemCommand("Undo", "Undo the last edit or continuation (Ctrl+Z)", self.editor.undo)
        yield SystemCommand("Redo", "Redo (Ctrl+Y)", self.editor.redo)
        chat = self.chat
        yield SystemCommand("Chat: regenerate", "A new last reply (Ctrl+R)", chat.action_regenerate)
        yield SystemCommand(
            "Chat: insert reply",
            "Put the last reply at the cursor (Ctrl+T)",
            chat.action_insert_reply,
        )
        yield SystemCommand(
            "Chat: copy reply", "Copy the last reply (Ctrl+K)", chat.action_copy_reply
        )
        yield SystemCommand(
            "Chat: clear", "Clear the chat and its history (Ctrl+L)", chat.action_clear
        )
        yield SystemCommand("Save", "Save the document (Ctrl+S)", self.action_save)
        yield SystemCommand(
            "Save as…",
            "Save under a new name",
            lambda: self.push_screen(AskPath("Save as:"), self._save_as),
        )
        yield SystemCommand("Open file…", "Open another document (Ctrl+O)", self.action_open)
        yield SystemCommand("New document", "Start an untitled document (Ctrl+N)", self.action_new)
        yield SystemCommand("Help", "Show every key (F1)", self.action_help)
        yield SystemCommand(
            "Memory & author's note",
            "What every continuation keeps in mind (F8)",
            self.action_notes,
        )
        yield SystemCommand("Models", "Download, switch and remove models (F5)", self.action_models)
        yield SystemCommand("Show editor", "F2", lambda: self._pane("editor"))
        yield SystemCommand("Show chat", "F3", lambda: self._pane("chat"))
        yield SystemCommand("Show templates", "F4", lambda: self._pane("templates"))
        yield SystemCommand(
            "Discard recovered text",
            "Reload the file from disk and forget the recovery copy",
            self.ask_discard_recovery,
        )

    def _pane(self, name: str) -> None:
        screen = self.screen_stack[0]
        if isinstance(screen, MainScreen):
            screen.action_show_pane(name)

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.notify(f"{event.worker.name} stopped: {event.worker.error}", severity="error")


EDITOR_EXTRA = [
    Binding("ctrl+z", "undo", "Undo (a whole continuation is one step)", id="editor.undo"),
    Binding("ctrl+y", "redo", "Redo", id="editor.redo"),
]
"""TextArea's own keys, named here for F1 and the keymap."""


def contexts() -> list[keymap.Context]:
    """Where keys are live together: each place's bindings with the app's and its screen's."""
    from tui.screens.models import ModelsScreen

    app, main = QuillpenApp.BINDINGS, MainScreen.BINDINGS
    return [
        ("editor", [*app, *main, *WriterEditor.BINDINGS, *EDITOR_EXTRA]),
        ("chat", [*app, *main, *ChatPane.BINDINGS]),
        ("templates", [*app, *main, *TemplatePane.BINDINGS]),
        ("models screen", [*app, *ModelsScreen.BINDINGS]),
        ("alternatives", [*app, *AlternativesScreen.BINDINGS]),
        ("notes", [*app, *NotesScreen.BINDINGS]),
        ("help", [*app, *HelpScreen.BINDINGS]),
        ("dialogs", [*app, *Choice.BINDINGS]),
    ]


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False


def launch(args: Namespace) -> int:
    """Run the app from the command line arguments."""
    app = QuillpenApp(
        args.file,
        model=args.model,
        gpu_layers=args.gpu_layers,
        threads=args.threads,
        cpu_repack=args.cpu_repack,
    )
    with hangup.guard(app):
        app.run()
    return hangup.leave_now_if_threads_linger(app.return_code or 0)
