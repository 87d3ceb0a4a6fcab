"""F1: every key, read from the bindings themselves (so the list never goes stale)."""

from __future__ import annotations

from collections.abc import Iterable

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

NARROW = 100
"""Terminal columns below which F1 shows each key's id under its description."""
_NAMES = {
    "escape": "Esc",
    "pageup": "PgUp",
    "pagedown": "PgDn",
    "delete": "Delete",
    "backslash": "\\",
}
_MODIFIERS = {"ctrl": "Ctrl", "shift": "Shift", "alt": "Alt", "meta": "Meta", "super": "Super"}


def key_label(key: str) -> str:
    """A key as people read it: ``ctrl+s`` → ``Ctrl+S``, ``escape`` → ``Esc``, ``f1`` → ``F1``."""
    parts = key.strip().split("+")
    *mods, name = parts
    if name in _NAMES:
        name = _NAMES[name]
    elif len(name) > 1 and name[0] == "f" and name[1:].isdigit():
        name = name.upper()  # F1
    elif len(name) > 1 or mods:
        name = name.title() if len(name) > 1 else name.upper()  # Enter, Ctrl+S
    # a lone letter stays as typed: "q", not "Q" (which reads as Shift+Q)
    return "+".join([*(_MODIFIERS.get(m, m.title()) for m in mods), name])


def binding_rows(
    groups: Iterable[tuple[str, Iterable[BindingType]]], keymap: dict[str, str]
) -> list[tuple[str, str, str, str]]:
    """(where, keys, what, id) for each described binding, after the user's keymap."""
    rows: list[tuple[str, str, str, str]] = []
    for where, bindings in groups:
        for b in bindings:
            if not isinstance(b, Binding) or not b.description:
                continue
            keys = keymap.get(b.id, b.key) if b.id else b.key
            shown = " / ".join(key_label(k) for k in keys.split(","))
            rows.append((where, shown, b.description, b.id or ""))
    return rows


class HelpScreen(ModalScreen[None]):
    """A scrollable table of keys; Esc, F1 or q closes it."""

    BINDINGS = [
        Binding("escape,f1,q", "app.pop_screen", "Close help", id="help.close"),
    ]

    def __init__(self, rows: list[tuple[str, str, str, str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        # Below 100 columns the ids go under the descriptions: a column of their own left
        # "What" 7 characters at 80 columns.
        narrow = self.app.size.width < NARROW
        table = Table(title="quillpen keys", expand=True, show_lines=narrow)
        table.add_column("Where", style="dim", no_wrap=True)
        table.add_column("Keys", style="bold", no_wrap=True)
        table.add_column(Text("What (id for [keymap])") if narrow else "What", ratio=1)
        if not narrow:
            table.add_column(Text("Id (for [keymap])"), style="dim", no_wrap=True)
        for where, keys, what, binding_id in self.rows:
            if narrow:
                table.add_row(where, keys, Text.assemble(what, ("\n" + binding_id, "dim")))
            else:
                table.add_row(where, keys, what, binding_id)
        with VerticalScroll(id="help-body"):
            yield Static(table)
            yield Static(
                "Tab continues your text at the cursor; Esc stops it; Ctrl+Z undoes a whole "
                "continuation. Select text with the mouse while holding Shift (Option on macOS). "
                'Remap keys in config.toml under [keymap], e.g. "editor.continue" = '
                '"tab,ctrl+space". Esc, F1 or q closes this help.',
                id="help-footer",
                markup=False,
            )
