"""F7: the poem at a glance: syllables (字 for Chinese), stress (平仄) and rhyme per line, the
form's verdict, and rhymes for the word at the cursor; Enter on a rhyme puts it in the word's
place."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, OptionList, Select, Static

from tui import poetry
from tui.poetry.text import ANY, guess_form, line_notes, word_at

__all__ = ["ANY", "PoemScreen", "PoemView", "guess_form", "word_at"]


@dataclass(frozen=True)
class PoemView:
    """What the screen shows, computed off the UI thread (the dictionaries load lazily)."""

    report: poetry.PoemReport | None
    lines: tuple[poetry.LineInfo, ...]
    rhymes: tuple[str, ...]


class PoemScreen(ModalScreen[str | None]):
    """Dismisses with the rhyme to put in place of the word at the cursor, or None."""

    BINDINGS = [Binding("escape", "dismiss_none", "Close", id="poem.close")]

    def __init__(self, text: str, word: str) -> None:
        super().__init__()
        self.text = text
        self.word = word
        self.language = poetry.detect_language(text or word)
        self.view: PoemView | None = None
        self._form = ANY

    def compose(self) -> ComposeResult:
        forms = [(f"{f.title} — {f.description}", f.name) for f in poetry.forms_for(self.language)]
        with Vertical(classes="dialog", id="poem"):
            yield Select(
                [("any form (counts only)", ANY), *forms],
                value=guess_form(self.text),
                allow_blank=False,
                id="poem-form",
            )
            yield DataTable(id="poem-lines", cursor_type="row", zebra_stripes=True)
            yield Static("Reading the poem…", id="poem-verdict", markup=False)
            title = "Put the cursor on a word to see its rhymes."
            if self.word:
                title = f"Rhymes for “{self.word}” (Enter puts one in its place):"
            yield Label(title, id="poem-rhymes-title", markup=False)
            yield OptionList(id="poem-rhymes", markup=False)

    def on_mount(self) -> None:
        unit = "字" if self.language == "zh" else "syllables"
        stress = "平仄" if self.language == "zh" else "scansion"
        self.query_one(DataTable).add_columns("#", "line", unit, stress, "rhyme", "")
        self._form = str(self.query_one(Select).value)
        self.analyse(self._form)

    @on(Select.Changed, "#poem-form")
    def _form_changed(self, event: Select.Changed) -> None:
        if str(event.value) != self._form:  # not the initial value's echo: a new form
            self._form = str(event.value)
            self.analyse(self._form)

    @work(thread=True, exclusive=True)
    def analyse(self, form: str) -> None:
        report = None if form == ANY else poetry.check(self.text, form)
        lines = tuple(poetry.poem_infos(self.text, None if form == ANY else form))
        rhymes = tuple(poetry.rhymes(self.word, 30)) if self.word else ()
        self.app.call_from_thread(self._show, PoemView(report, lines, rhymes))

    def _show(self, view: PoemView) -> None:
        self.view = view
        table = self.query_one(DataTable)
        table.clear()
        if view.report is not None:
            zh = view.report.language == "zh"
            for r in view.report.lines:
                marks = r.stress if zh else (r.scansion or self._stress(r.stress))
                meter = [f"{r.meter}: {'; '.join(r.deviations)}" if r.deviations else r.meter]
                said = [("✓" if r.ok else f"✗ {r.why}"), *filter(None, meter), *r.notes]
                count = f"~{r.syllables}" if r.estimated and not zh else str(r.syllables)
                table.add_row(
                    str(r.number),
                    Text(r.text),
                    count,
                    marks,
                    Text(r.rhyme or ""),
                    Text(" · ".join(said)),
                )
            verdict = "Fits the form." if view.report.ok else "Does not fit the form yet."
            problems = "; ".join(view.report.problems)
            system = f"({view.report.system})" if view.report.system else ""
            self.query_one("#poem-verdict", Static).update(f"{verdict} {problems} {system}".strip())
        else:
            for n, info in enumerate(view.lines, 1):
                marks = info.scansion or self._stress(info.stress)
                table.add_row(
                    str(n),
                    Text(info.text),
                    info.count_label,
                    marks,
                    "",
                    Text(" · ".join(line_notes(info))),
                )
            self.query_one("#poem-verdict", Static).update("Pick a form to check the poem.")
        rhymes = self.query_one(OptionList)
        rhymes.clear_options()
        rhymes.add_options(list(view.rhymes) or (["(none found)"] if self.word else []))

    def _stress(self, stress: str) -> str:
        return stress if self.language == "zh" else poetry.stress_marks(stress)

    @on(OptionList.OptionSelected, "#poem-rhymes")
    def _rhyme_chosen(self, event: OptionList.OptionSelected) -> None:
        if self.view is not None and self.view.rhymes:
            self.dismiss(self.view.rhymes[event.option_index])

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
