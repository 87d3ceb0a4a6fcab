""" "Teach a voice…" (from F5): the writer's texts, a base model and a time budget."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select

from models.hub import catalog
from tui.voice_job import VoiceRequest


class TeachVoiceScreen(ModalScreen[VoiceRequest | None]):
    """Dismisses with what to train, or None (Esc, Cancel)."""

    BINDINGS = [Binding("escape", "dismiss_none", "Cancel", id="voice.cancel")]
    DEFAULT_CSS = """
    TeachVoiceScreen { align: center middle; }
    TeachVoiceScreen > Vertical { width: 80; height: auto; border: round $accent;
        padding: 1 2; background: $surface; }
    TeachVoiceScreen Input, TeachVoiceScreen Select { margin-bottom: 1; }
    TeachVoiceScreen .buttons { height: auto; }
    """
    options: ClassVar[dict[str, Any]] = {}
    """More training options for every request (tests use a tiny window)."""

    def compose(self) -> ComposeResult:
        bases = [
            (f"{s.name} ({s.params}, {s.language_name})", s.name) for s in catalog.CATALOG.values()
        ]
        with Vertical():
            yield Label(
                "Teach a voice: fine-tune a model on your own texts (runs in the background)"
            )
            yield Input(placeholder="name of the new model, e.g. my-poems", id="voice-name")
            yield Input(
                placeholder="a folder or files of your texts (.txt, .md); separate with ;",
                id="voice-paths",
            )
            yield Select(bases, value=catalog.DEFAULT_MODEL, allow_blank=False, id="voice-base")
            yield Input(
                placeholder="or a checkpoint folder / Hub repo id as the base", id="voice-base-path"
            )
            yield Input("30", placeholder="minutes at most", id="voice-minutes")
            with Horizontal(classes="buttons"):
                yield Button("Start", id="voice-start", variant="success")
                yield Button("Cancel", id="voice-cancel")

    def on_mount(self) -> None:
        self.query_one("#voice-name", Input).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "voice-cancel":
            self.dismiss(None)
        elif event.button.id == "voice-start":
            self._start()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._start()

    def _start(self) -> None:
        name = self.query_one("#voice-name", Input).value.strip()
        raw = self.query_one("#voice-paths", Input).value
        paths = [Path(p.strip()).expanduser() for p in raw.split(";") if p.strip()]
        base = self.query_one("#voice-base-path", Input).value.strip() or str(
            self.query_one("#voice-base", Select).value
        )
        try:
            minutes = float(self.query_one("#voice-minutes", Input).value or 0)
        except ValueError:
            minutes = -1
        problem = (
            "Give the new model a name."
            if not name
            else "Give a folder or files of your texts."
            if not paths
            else f"{next(p for p in paths if not p.exists())}: no such file or folder"
            if any(not p.exists() for p in paths)
            else "Minutes: a number (0: no limit)."
            if minutes < 0
            else None
        )
        if problem:
            self.notify(problem, severity="warning")
            return
        self.dismiss(VoiceRequest(name, paths, base, minutes, dict(self.options)))

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
