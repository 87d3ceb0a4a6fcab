"""The document editor: asks the engine to continue the story, and streams the text in.

Tab walks editor → engine client → engine → editor: the editor builds the request, submits it
to the engine client it was given, and receives the chunks itself
(:class:`~tui.widgets.generated_text.GeneratedTextArea`: marks and undo steps).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from textual.binding import Binding

from models.sampling import SamplerSettings, preset  # (imported with the settings anyway)
from tui.key_order import in_key_order
from tui.widgets.branching import Branches
from tui.widgets.generated_text import GeneratedTextArea
from tui.widgets.token_insight import INSIGHT_TOP, NO_MODEL, TokenInsightArea

if TYPE_CHECKING:  # (what asks for text is imported when it does: after the first frame)
    from models.engine_client import EngineClient
    from tui.config import Settings
    from tui.messages import GenerationStarted
    from tui.model_session import ModelSession
    from tui.presets import Preset
    from tui.store.notes import StoryNotes
    from tui.templates import Template

FLUSH_MIN, FLUSH_MAX = 1 / 30, 0.4
"""Bounds of the seconds between streamed chunks."""
UI_SHARE = 0.06
"""The share of one core the editor may spend drawing streamed text; the engine's flush rate
follows the measured redraw cost. On 2 cores every UI wake-up stalls one of llama.cpp's
threads, so fewer, larger chunks keep the engine near its bare speed (docs/performance.md)."""
ALTERNATIVES = 3
ALTERNATIVE_TOKENS = 24


class EditorSession(Protocol):
    """What the editor needs of its document session (:class:`tui.session.DocumentSession`):
    the notes a continuation keeps in mind, and the recovery journal."""

    notes: StoryNotes

    def text_changed(self) -> None: ...

    def schedule_journal(self) -> None: ...

    def flush_journal(self) -> None: ...


class WriterEditor(TokenInsightArea, GeneratedTextArea):
    """The editor pane: asks ``engine`` for continuations of the story and shows them."""

    BINDINGS = [
        Binding("tab", "continue_text", "Continue", id="editor.continue", priority=True),
        Binding("escape", "stop", "Stop", id="editor.stop", show=False),
        Binding("f6", "alternatives", "Alternatives", id="editor.alternatives", show=False),
        Binding("f7", "poem", "Poem: syllables, form, rhymes", id="editor.poem", show=False),
        Binding(
            "f12,alt+s",  # (F12 first: macOS's Option+S types ß, and a slow link splits ESC s)
            "poem_margin",
            "Poem margin: syllables, stress, rhymes",
            id="editor.margin",
            show=False,
        ),
        Binding("f9", "insight", "Surprise view (token colours)", id="editor.insight", show=False),
        Binding("ctrl+r", "token_choices", "Other words here", id="editor.choices", show=False),
        Binding(
            "alt+left",
            "branch('previous')",
            "Previous branch",
            id="editor.branch_previous",
            show=False,
        ),
        Binding("alt+right", "branch('next')", "Next branch", id="editor.branch_next", show=False),
        Binding(
            "alt+up", "branch('parent')", "Up the branch tree", id="editor.branch_up", show=False
        ),
        Binding(
            "alt+down",
            "branch('child')",
            "Down the branch tree",
            id="editor.branch_down",
            show=False,
        ),
        Binding("ctrl+t", "branches", "Branch tree", id="editor.branches", show=False),
        Binding("ctrl+home", "document_start", "Start of document", id="editor.start", show=False),
        Binding("ctrl+end", "document_end", "End of document", id="editor.end", show=False),
        Binding("ctrl+shift+home", "document_start(True)", "Select to start", show=False),
        Binding("ctrl+shift+end", "document_end(True)", "Select to end", show=False),
    ]

    def __init__(
        self,
        engine: EngineClient,
        session: EditorSession,
        model: ModelSession,
        settings: Settings,
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)
        self.engine = engine
        self.session = session
        """The document's session: its notes, and where the journal is written."""
        self.model = model
        self.settings = settings
        self._cuts_told: tuple[int, int] = (0, 0)
        self._redraw_cost = 0.0
        self._flush_interval = 1 / 20
        self._bans_told = False
        self.template_examples = ""
        """The few-shot examples of the template written last, for its continuation."""
        self.chosen_preset: Preset | None = None
        """The preset picked in Presets… for this session (it wins over the config's)."""
        self.branches = Branches()
        """Every generation of this document, as a tree (Alt+arrows, Ctrl+T)."""

    def on_text_area_changed(self) -> None:
        self.session.text_changed()

    def journal(self) -> None:
        self.session.schedule_journal()

    def action_document_start(self, select: bool = False) -> None:
        self.move_cursor((0, 0), select=select)

    def action_document_end(self, select: bool = False) -> None:
        self.move_cursor(self.document.end, select=select)

    # Asking for text -------------------------------------------------------------------------
    def action_continue_text(self) -> None:
        """Tab: continue the document at the cursor (after the keys typed just before it)."""
        in_key_order(self, self._continue_text)

    def _continue_text(self) -> None:
        if not self.engine.ready:
            self.notify(NO_MODEL, severity="warning")
        elif self.generating:
            self.engine.cancel()
        else:
            self.continue_story()

    def continue_story(
        self,
        max_tokens: int | None = None,
        settings: SamplerSettings | None = None,
        stop: Sequence[str] = (),
        line_form: str | None = None,
        joined: set[int] | None = None,
        examples: str = "",
    ) -> None:
        """Stream a continuation of the text before the cursor in at the cursor; ``examples``
        (a template's few-shot examples) come before the text in the prompt only."""
        from models.engine_client import GenerateRequest
        from models.prompting.cjk import looks_like_verse
        from models.prompting.prompts import StorySpec
        from tui.messages import deliver

        notes, prompt = self.session.notes, self.prompt_text()
        tab = self.tab_preset()
        request = GenerateRequest(
            StorySpec(examples + prompt, notes.memory, notes.note),
            settings=settings or tab.sampler,
            max_tokens=max_tokens or self.settings.continue_tokens,
            stop=tuple(stop) if settings else (*stop, *tab.stop),
            line_form=line_form or ("verse" if looks_like_verse(prompt) else "prose"),
            probabilities=INSIGHT_TOP if self._insight_on() else 0,
            bans=self.bans(),
        )
        self.session.flush_journal()  # on disk before the engine runs: a crash loses nothing
        self.branches.begin(request.id, prompt, request.settings, self.model_name())
        self.begin_generation(request.id, joined)
        self.engine.submit(request, deliver(self))

    def write_template(self, text: str, examples: str = "") -> None:
        """Write a template's opening at the end of the document (one undo step); its
        ``examples`` go before the document in the prompt of the continuation that follows."""
        self.template_examples = examples
        gap = ""
        if self.text.strip():
            gap = "\n" if self.text.endswith("\n") else "\n\n"
        self.history.checkpoint()
        self.insert(gap + text, self.document.end)
        self.move_cursor(self.document.end)

    def continue_template(self, template: Template) -> None:
        """Continue a template's opening with its own length, preset and stops."""
        if not self.engine.ready:
            self.notify("Template written. Load a model (F5) and press Tab to continue it.")
            return
        from tui.presets import load_presets

        named = load_presets()[0].get(template.preset)
        settings = named.sampler if named else preset(template.preset)
        stop = (*template.stop, *(named.stop if named else ()))
        examples, self.template_examples = self.template_examples, ""
        self.continue_story(
            template.max_tokens, settings, stop, template.line_form, examples=examples
        )

    def action_alternatives(self) -> None:
        """F6: write a few short continuations and let the user pick one."""
        in_key_order(self, self._alternatives)

    def _alternatives(self) -> None:
        if not self.engine.ready:
            self.notify(NO_MODEL, severity="warning")
            return
        from models.engine_client import GenerateRequest
        from models.prompting.prompts import StorySpec
        from tui.intents import PickAlternative

        notes, sampler = self.session.notes, self.tab_preset().sampler
        spec = StorySpec(self.prompt_text(), notes.memory, notes.note)
        request = GenerateRequest(
            spec, sampler, ALTERNATIVE_TOKENS, n=ALTERNATIVES, bans=self.bans()
        )
        self.session.flush_journal()

        def chosen(choice: str | None, texts: Sequence[str]) -> None:
            if choice:
                at = list(texts).index(choice)
                self.branches.alternatives(spec.text, list(texts), at, sampler, self.model_name())
                self.insert_generated(choice)
                self.move_cursor(self.marks[-1].end)  # after the pick, and in sight
                self.call_after_refresh(self.scroll_cursor_visible)
                self.show_branch()

        self.post_message(PickAlternative(request, chosen))

    # The branch tree ------------------------------------------------------------------------
    def model_name(self) -> str:
        return self.model.label

    def generated(self, request_id: int, text: str) -> None:
        self.branches.finish(request_id, text)
        self.show_branch()

    def show_branch(self) -> None:
        """Say in the editor's border where the reader is in the tree ("branch 2 of 3")."""
        self.branch_where = self.branches.where()
        self.refresh_subtitle()

    def action_branch(self, move: str) -> None:
        """Alt+arrows: the sibling, parent or child branch in place of this one (one undo)."""
        if self.generating:
            self.notify("Text is still coming: Esc stops it first.", severity="warning")
            return
        why = self.branches.move(self, move)
        if why:
            self.notify(why, title="Branches")
        self.show_branch()

    def action_branches(self) -> None:
        """Ctrl+T: the tree of every version; Enter reads the one picked."""
        from tui.intents import PickBranch

        def chosen(node_id: str | None) -> None:
            if node_id:
                self.action_branch(node_id)

        self.post_message(PickBranch(self.branches.tree, chosen))

    def action_poem(self) -> None:
        """F7: check the poem; a rhyme picked there replaces the word at the cursor."""
        from tui.intents import CheckPoem
        from tui.poetry.text import word_at

        row, column = self.cursor_location
        start, end = word_at(self.document.get_line(row), column)
        word = self.document.get_line(row)[start:end]

        def chosen(rhyme: str | None) -> None:
            if rhyme:
                self.replace(rhyme, (row, start), (row, end))

        self.post_message(CheckPoem(self.text, word, chosen))

    def tab_preset(self) -> Preset:
        """What Tab and F6 write with: the chosen preset (config ``preset``, or Presets…), else
        the ``[sampler]`` settings."""
        from tui.presets import Preset, load_presets

        if self.chosen_preset is not None:
            return self.chosen_preset
        name = self.settings.preset
        chosen = load_presets()[0].get(name) if name else None
        return chosen or Preset("sampler", self.settings.sampler)

    def action_presets(self) -> None:
        """Ctrl+P → Presets…: edit one; use it for Tab from now on, and save it if asked."""
        from tui.intents import EditPresets
        from tui.presets import load_presets, save_preset

        presets, warnings = load_presets()
        for warning in warnings:
            self.notify(warning, title="Presets", severity="warning")

        def chosen(result: tuple[Preset, bool] | None) -> None:
            if result is None:
                return
            preset, save = result
            self.chosen_preset = preset
            if save:
                try:
                    save_preset(preset)
                except OSError as exc:
                    self.notify(f"Not saved: {exc.strerror or exc}", severity="error")
                    return
            where = " (saved in presets.toml)" if save else " (until you quit)"
            self.notify(f"Tab writes with {preset.name}{where}.", title="Presets")

        current = self.tab_preset().name
        self.post_message(EditPresets(presets, current, chosen))

    def bans(self) -> tuple[str, ...]:
        """The phrases never to write: config.toml's and this document's (F8); none, said
        once, where the engine cannot hold them (a remote server)."""
        bans = tuple(dict.fromkeys((*self.settings.bans, *self.session.notes.bans)))
        why = self.engine.capabilities.reasons.get("bans")
        if bans and why:
            if not self._bans_told:
                self._bans_told = True
                self.notify(f"Banned phrases are not applied: {why}.", severity="warning")
            return ()
        return bans

    def cancel_generation(self) -> None:
        if self.request_id is not None:
            self.engine.cancel([self.request_id])

    def action_stop(self) -> None:
        """Esc: stop whatever is being generated."""
        if self.engine.busy:
            self.engine.cancel()

    def pace(self, seconds: float) -> None:
        """Set the engine's flush rate so drawing streamed text takes ≤ UI_SHARE of a core."""
        cost = self._redraw_cost
        cost = 0.7 * cost + 0.3 * seconds if cost else seconds
        self._redraw_cost = cost
        interval = min(FLUSH_MAX, max(FLUSH_MIN, cost / UI_SHARE))
        if abs(interval - self._flush_interval) > 0.2 * self._flush_interval:
            self._flush_interval = interval
            self.engine.set_flush_interval(interval)

    def on_generation_started(self, message: GenerationStarted) -> None:
        from models.prompting.context import MEMORY_MAX, NOTE_MAX

        facts = message.facts
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
