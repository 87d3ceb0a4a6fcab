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

ANY = "any"
_BY_LINES = {("en", 3): "haiku", ("en", 5): "limerick", ("en", 4): "quatrain"}
_BY_LINES |= {("en", 14): "sonnet", ("zh", 4): "jueju", ("zh", 8): "lushi"}


@dataclass(frozen=True)
class PoemView:
    """What the screen shows, computed off the UI thread (the dictionaries load lazily)."""

    report: poetry.PoemReport | None
    lines: tuple[poetry.LineInfo, ...]
    rhymes: tuple[str, ...]


def guess_form(text: str) -> str:
    """The form the poem most likely means, from its language, line count and line length."""
    language = poetry.detect_language(text)
    lines = poetry.forms.poem_lines(text)
    if language == "zh":
        lines = poetry.chinese.verses(text) or lines
    name = _BY_LINES.get((language, len(lines)), ANY)
    if language == "zh" and name != ANY:
        counts = {poetry.line_info(line, "zh").syllables for line in lines}
        name = f"{name}{7 if counts == {7} else 5}"
    return name if name in poetry.FORMS or name == ANY else ANY


class PoemScreen(ModalScreen[str | None]):
    """Dismisses with the rhyme to put in place of the word at the cursor, or None."""

    BINDINGS = [Binding("escape", "dismiss_none", "Close", id="poem.close")]

    def __init__(self, text: str, word: str) -> None:
        super().__init__()
        self.text = text
        self.word = word
        self.language = poetry.detect_language(text or word)
        self.view: PoemView | None = None

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
        stress = "平仄" if self.language == "zh" else "stress"
        self.query_one(DataTable).add_columns("#", "line", unit, stress, "rhyme", "")
        self.analyse(str(self.query_one(Select).value))

    @on(Select.Changed, "#poem-form")
    def _form_changed(self, event: Select.Changed) -> None:
        self.analyse(str(event.value))

    @work(thread=True, exclusive=True)
    def analyse(self, form: str) -> None:
        report = None if form == ANY else poetry.check(self.text, form)
        lines = tuple(poetry.line_info(line) for line in poetry.forms.poem_lines(self.text))
        rhymes = tuple(poetry.rhymes(self.word, 30)) if self.word else ()
        self.app.call_from_thread(self._show, PoemView(report, lines, rhymes))

    def _show(self, view: PoemView) -> None:
        self.view = view
        table = self.query_one(DataTable)
        table.clear()
        if view.report is not None:
            for r in view.report.lines:
                mark = "✓" if r.ok else f"✗ {r.why}"
                stress = self._stress(r.stress)
                table.add_row(
                    str(r.number), Text(r.text), str(r.syllables), stress, Text(r.rhyme or ""), mark
                )
            verdict = "Fits the form." if view.report.ok else "Does not fit the form yet."
            problems = "; ".join(view.report.problems)
            self.query_one("#poem-verdict", Static).update(f"{verdict} {problems}".strip())
        else:
            for n, info in enumerate(view.lines, 1):
                guess = " (estimated)" if info.estimated else ""
                count, stress = f"{info.syllables}{guess}", self._stress(info.stress)
                table.add_row(str(n), Text(info.text), count, stress, "", "")
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
