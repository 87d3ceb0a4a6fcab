"""The main screen: editor, chat and templates; side by side when wide, one at a time when not."""

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

from tui.widgets.bars import KeyBar, TitleBar

if TYPE_CHECKING:
    from tui.messages import GenerationChunk, GenerationFinished, GenerationStarted
    from tui.widgets.editor import WriterEditor
    from tui.widgets.status import StatusBar

WIDE = 120
PANES = ("editor", "chat", "templates")


class MainScreen(Screen[None]):
    """Composes the panes; F2/F3/F4 show (narrow) or focus (wide) one of them."""

    BINDINGS = [
        Binding("f2", "show_pane('editor')", "Editor", id="pane.editor"),
        Binding("f3", "show_pane('chat')", "Chat", id="pane.chat"),
        Binding("f4", "show_pane('templates')", "Templates", id="pane.templates"),
    ]

    pane: reactive[str] = reactive("editor")
    KEY_LINE_IN_ORDER_OF_USE = True
    """The key line shows the keys that fit, in tui.key_line's order (F6, Ctrl+Z… too)."""

    def __init__(
        self,
        editor: WriterEditor,
        status: StatusBar,
        side_panes: Callable[[], tuple[Widget, Widget]],
    ) -> None:
        """``side_panes`` gives chat and templates (and reads their styles): it is called when
        they are first needed, after the first frame."""
        super().__init__()
        self.status = status
        self.editor = editor
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
        # The document first: chat and templates (a third of the start-up's widgets and
        # styles) join right after the first screen is drawn.
        self.call_after_refresh(self._mount_side_panes)

    async def _mount_side_panes(self) -> None:
        self.chat.border_title = "Chat"
        self.templates.border_title = "Templates"
        await self.query_one("#panes", Horizontal).mount_all([self.chat, self.templates])

    # The panes' generations, in the status bar ------------------------------------------------
    def on_generation_started(self, message: GenerationStarted) -> None:
        self.status.on_generation_started(message.prompt_tokens, message.facts.hidden_chars)

    def on_generation_chunk(self, message: GenerationChunk) -> None:
        self.status.tokens_per_second = message.tokens_per_second

    def on_generation_finished(self, message: GenerationFinished) -> None:
        stats = message.stats
        self.status.on_generation_finished(stats.prompt_tokens + stats.generated_tokens)

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
