"""F5 with a remote engine: the server's models (``/v1/models``); Enter uses the selected one."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label, Static

from models.remote.engine import ModelListing, RemoteEngine
from models.text import printable


class RemoteModelsScreen(Screen[None]):
    """Which model of the server to write with; the engine says what it cannot do."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="remote.close"),
        Binding("enter", "use", "Use selected", id="remote.use"),
    ]

    def __init__(self, engine: RemoteEngine) -> None:
        super().__init__()
        self.engine = engine
        self.ids: list[str] = []

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="models-body"):
            yield Label(f"Models on {self.engine.url}", id="models-title")
            yield Static("Asking the server…", id="active-model", markup=False)
            yield DataTable(id="remote-models", cursor_type="row", zebra_stripes=True)
            yield Static("", id="remote-limits", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns("Model", "Owned by", "Window")
        self.engine.list_models(lambda found: self.app.call_from_thread(self._show, found))
        reasons = self.engine.capabilities.reasons
        if reasons:
            limits = "; ".join(f"{what.replace('_', ' ')}: {why}" for what, why in reasons.items())
            self.query_one("#remote-limits", Static).update(f"Not on this server: {limits}")

    def _show(self, found: ModelListing) -> None:
        status = self.query_one("#active-model", Static)
        if found.error:
            status.update(Text(printable(found.error)))
            return
        table = self.query_one(DataTable)
        self.ids = [m.id for m in found.models]
        for m in found.models:
            table.add_row(
                Text(printable(m.id)), Text(printable(m.owned_by)), str(m.context_length or "")
            )
        active = self.engine.model.name if self.engine.model else None
        status.update(Text(f"Active model: {active}" if active else "No model in use yet."))
        table.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_use()  # Enter on a row (the table has the key before the screen)

    def action_use(self) -> None:
        row = self.query_one(DataTable).cursor_row
        if not self.ids or row is None or row >= len(self.ids):
            self.notify("Select a model first.", severity="warning")
            return
        self.engine.load(self.ids[row])
        self.notify(f"Using {printable(self.ids[row])}…", markup=False)
        self.app.pop_screen()
