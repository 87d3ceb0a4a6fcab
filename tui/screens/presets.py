"""Ctrl+P → "Presets…": see and edit a sampler preset and its stop sequences, use it for Tab,
and save it to presets.toml."""

from __future__ import annotations

import sys
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, TextArea

from tui.presets import EDITABLE, Preset, presets_path
from tui.screens.dialogs import Choice
from tui.widgets.safe_text_area import SafeTextArea

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

Result = tuple[Preset, bool]
"""The preset to write with from now on, and whether to save it to presets.toml."""


def stops_text(stop: tuple[str, ...]) -> str:
    """One stop sequence a line, with line breaks written as \\n."""
    return "\n".join(s.replace("\\", "\\\\").replace("\n", "\\n") for s in stop)


def parse_stops(text: str) -> tuple[str, ...]:
    out = []
    for line in text.splitlines():
        if line:
            out.append(line.replace("\\n", "\n").replace("\\\\", "\\"))
    return tuple(dict.fromkeys(out))


def unreadable(path: Path) -> str | None:
    """Why the presets file cannot be read (a save would replace all of it), or None."""
    try:
        tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return str(exc)
    return None


class PresetsScreen(ModalScreen[Result | None]):
    BINDINGS = [Binding("escape", "dismiss_none", "Cancel", id="presets.cancel")]

    def __init__(self, presets: dict[str, Preset], current: str) -> None:
        super().__init__()
        self.presets = presets
        self.current = current if current in presets else next(iter(presets))

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="presets"):
            yield Select([(n, n) for n in self.presets], value=self.current, allow_blank=False)
            for name in EDITABLE:
                with Horizontal(classes="preset-row"):
                    yield Label(name.replace("_", " "), classes="preset-label")
                    yield Input(id=f"p-{name}")
            yield Label("Stop before (one a line; \\n is a line break):")
            yield SafeTextArea(id="p-stop")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Use for Tab", id="use", variant="primary")
                yield Button("Save", id="save")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self._show(self.current)

    @on(Select.Changed)
    def _picked(self, event: Select.Changed) -> None:
        self._show(str(event.value))

    def _show(self, name: str) -> None:
        self.current = name
        preset = self.presets[name]
        for field in EDITABLE:
            self.query_one(f"#p-{field}", Input).value = str(getattr(preset.sampler, field))
        self.query_one("#p-stop", TextArea).text = stops_text(preset.stop)

    def _edited(self) -> Preset | None:
        preset = self.presets[self.current]
        values: dict[str, float | int] = {}
        for field in EDITABLE:
            raw = self.query_one(f"#p-{field}", Input).value.strip()
            try:
                values[field] = int(raw) if field == "top_k" else float(raw)
            except ValueError:
                self.notify(f"{field.replace('_', ' ')}: a number, please.", severity="warning")
                return None
        stop = parse_stops(self.query_one("#p-stop", TextArea).text)
        return Preset(preset.name, preset.sampler.with_(**values), stop)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "cancel":
            self.dismiss(None)
            return
        edited = self._edited()
        if edited is None:
            return
        path = presets_path()
        why = unreadable(path) if event.button.id == "save" else None
        if why is None:
            self.dismiss((edited, event.button.id == "save"))
            return

        def answer(choice: str | None) -> None:
            if choice == "replace":
                self.dismiss((edited, True))

        question = (
            f"{path.name} cannot be read ({why}). Saving replaces all of it, and every preset "
            "in it, with this one. Replace it?"
        )
        answers = [("cancel", "Cancel"), ("replace", "Replace")]  # Cancel first: the default
        self.app.push_screen(Choice(question, answers), answer)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
