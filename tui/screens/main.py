"""The main screen: editor, chat and templates; side by side when wide, one at a time when not.

It is where the panes' messages end: the dialogs they ask for (:mod:`tui.intents`), what one
pane asks of another (a chat reply or a template into the editor), the generations and model
events the status bar shows (the model's go on to :class:`~tui.model_session.ModelSession`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.events import Resize
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import TextArea

from tui.screens.writer_tools import TOOL_BINDINGS, WriterTools
from tui.widgets.bars import KeyBar, TitleBar

if TYPE_CHECKING:
    from tui.find import Mode
    from tui.intents import (
        AskChoice,
        CheckPoem,
        EditPresets,
        PickAlternative,
        PickBranch,
        PickToken,
    )
    from tui.messages import (
        EngineCrashed,
        GenerationChunk,
        GenerationFinished,
        GenerationStarted,
        ModelFailed,
        ModelReady,
    )
    from tui.model_session import ModelSession
    from tui.widgets.chat import ChatPane
    from tui.widgets.editor import WriterEditor
    from tui.widgets.status import StatusBar
    from tui.widgets.templates import TemplatePane

WIDE = 120
FIND_KEYS = [
    Binding("ctrl+f", "find('find')", "Find", id="editor.find", show=False),
    Binding("ctrl+backslash", "find('replace')", "Replace", id="editor.replace", show=False),
    Binding("ctrl+g", "find('goto')", "Go to line", id="editor.goto", show=False),
]
"""The find bar's keys (:mod:`tui.widgets.find_bar`): live in every pane, they act on the editor."""
PANES = ("editor", "chat", "templates")


class MainScreen(WriterTools, Screen[None]):
    """Composes the panes; F2/F3/F4 show (narrow) or focus (wide) one of them; passes what one
    pane asks of another on."""

    PANE_KEYS = [
        Binding("f2", "show_pane('editor')", "Editor", id="pane.editor"),
        Binding("f3", "show_pane('chat')", "Chat", id="pane.chat"),
        Binding("f4", "show_pane('templates')", "Templates", id="pane.templates"),
    ]
    BINDINGS = [*PANE_KEYS, *FIND_KEYS, *TOOL_BINDINGS]

    pane: reactive[str] = reactive("editor")
    KEY_LINE_IN_ORDER_OF_USE = True
    """The key line shows the keys that fit, in tui.key_line's order (F6, Ctrl+Z… too)."""

    def __init__(
        self,
        editor: WriterEditor,
        status: StatusBar,
        model: ModelSession,
        side_panes: Callable[[], tuple[Widget, Widget]],
    ) -> None:
        """``side_panes`` gives chat and templates (and reads their styles): it is called when
        they are first needed, after the first frame."""
        super().__init__()
        self.status = status
        self.editor = editor
        self.model = model
        self._side_panes = side_panes
        self._side: tuple[Widget, Widget] | None = None

    @property
    def chat(self) -> Widget:
        return self._panes()[0]

    @property
    def templates(self) -> Widget:
        return self._panes()[1]

    def _panes(self) -> tuple[Widget, Widget]:
        if self._side is None:
            self._side = self._side_panes()
        return self._side

    def compose(self) -> ComposeResult:
        # The classes before the children mount: their styles are computed once, not again
        # for each class that changes.
        self._layout(self.app.size.width)
        yield TitleBar()
        with Horizontal(id="panes"):
            yield self.editor
        yield self.status
        yield KeyBar()

    def on_mount(self) -> None:
        self.editor.border_title = "Editor"
        self._layout(self.app.size.width)  # (a no-op unless the size changed since compose)
        self.editor.focus()
        self.call_after_refresh(self.start_tools)  # spelling, the watched file, recent files, goal
        # The document first: chat and templates (a third of the start-up's widgets and
        # styles) join right after the first screen is drawn.
        self.call_after_refresh(self._mount_side_panes)

    async def _mount_side_panes(self) -> None:
        self.chat.border_title = "Chat"
        self.templates.border_title = "Templates"
        await self.query_one("#panes", Horizontal).mount_all([self.chat, self.templates])

    # Find, replace, go to line -------------------------------------------------------------------
    def action_find(self, mode: Mode) -> None:
        """Ctrl+F, Ctrl+\\, Ctrl+G: the find bar under the editor, in that mode."""
        from tui.widgets.find_bar import FindBar

        if self.pane != "editor":
            self.action_show_pane("editor")
        bars = self.query(FindBar)
        if bars:
            bars.first().open(mode)
            return
        bar = FindBar(self.editor, id="find-bar")
        self.mount(bar, before=self.status)
        self.call_after_refresh(bar.open, mode)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        if event.text_area is self.editor:
            for bar in self.query("#find-bar"):
                bar.text_changed()  # type: ignore[attr-defined]

    # The panes' generations, in the status bar ------------------------------------------------
    def on_generation_started(self, message: GenerationStarted) -> None:
        self.status.on_generation_started(message.prompt_tokens, message.facts.hidden_chars)

    def on_generation_chunk(self, message: GenerationChunk) -> None:
        message.stop()  # (the hot path ends here: nothing above the screen needs a chunk)
        self.status.tokens_per_second = message.tokens_per_second

    def on_generation_finished(self, message: GenerationFinished) -> None:
        stats = message.stats
        self.status.on_generation_finished(stats.prompt_tokens + stats.generated_tokens)

    # The model's events (the status bar shows them first) ------------------------------------
    def on_model_ready(self, message: ModelReady) -> None:
        self.model.ready(message)

    def on_engine_crashed(self, message: EngineCrashed) -> None:
        self.model.crashed(message)

    def on_model_failed(self, message: ModelFailed) -> None:
        self.model.failed(message)

    # What one pane asks of another ------------------------------------------------------------
    def on_chat_pane_insert_reply(self, message: ChatPane.InsertReply) -> None:
        from tui.reply_join import insert_reply

        insert_reply(self.editor, message.text)  # at a word or line boundary
        self.action_show_pane("editor")

    def on_template_pane_use(self, message: TemplatePane.Use) -> None:
        """Write the opening and continue it with the model the template is written for, once
        that model is there: a template whose model is missing writes nothing."""
        template = message.template

        def write_and_continue() -> None:
            self.action_show_pane("editor")
            self.editor.write_template(message.text, message.examples)
            self.editor.continue_template(template)

        self.model.with_model(template.model, template.title, write_and_continue)

    # The dialogs the panes ask for (tui.intents): the screens are imported when first asked --
    def on_pick_alternative(self, message: PickAlternative) -> None:
        from tui.screens.alternatives import AlternativesScreen

        screen = AlternativesScreen(self.editor.engine, message.request, self.status)
        self.app.push_screen(screen, lambda choice: message.reply(choice, screen.texts))

    def on_pick_branch(self, message: PickBranch) -> None:
        from tui.screens.branches import BranchesScreen

        self.app.push_screen(BranchesScreen(message.tree), message.reply)

    def on_check_poem(self, message: CheckPoem) -> None:
        from tui.screens.poem import PoemScreen

        self.app.push_screen(PoemScreen(message.text, message.word), message.reply)

    def on_edit_presets(self, message: EditPresets) -> None:
        from tui.screens.presets import PresetsScreen

        self.app.push_screen(PresetsScreen(message.presets, message.current), message.reply)

    def on_pick_token(self, message: PickToken) -> None:
        from tui.screens.token_choice import TokenChoiceScreen

        self.app.push_screen(TokenChoiceScreen(message.info), message.reply)

    def on_ask_choice(self, message: AskChoice) -> None:
        from tui.screens.dialogs import Choice

        self.app.push_screen(Choice(message.question, message.answers), message.reply)

    def on_resize(self, event: Resize) -> None:
        self._layout(event.size.width)

    def _layout(self, width: int) -> None:
        self.set_class(width >= WIDE, "wide")
        self.set_class(width < WIDE, "narrow")
        self._apply_pane()

    def watch_pane(self) -> None:
        self._apply_pane()

    def _apply_pane(self) -> None:
        for name in PANES:
            self.set_class(self.pane == name, f"show-{name}")

    def action_show_pane(self, name: str) -> None:
        self.pane = name
        target = {"editor": self.editor, "chat": self.chat, "templates": self.templates}[name]
        self.call_after_refresh(self._focus_in, target)

    def _focus_in(self, target: Widget) -> None:
        focusable = [w for w in target.query("*") if w.focusable]
        (focusable[0] if focusable and not target.focusable else target).focus()


def open_find(widget: Widget, mode: Mode) -> None:
    """The palette's Find, Replace and Go to line: the bar on ``widget``'s main screen."""
    screen = widget.screen
    if isinstance(screen, MainScreen):
        screen.action_find(mode)
