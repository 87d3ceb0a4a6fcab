"""The title line and the key line: each one widget that draws one line.

They look like Textual's ``Header`` and compact ``Footer``, which build a widget per part (the
footer one per key, built again at every change of focus); drawn as one line each, they cost
the launch and each focus change a fraction of that (docs/performance.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from rich.cells import cell_len
from rich.text import Text
from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

if TYPE_CHECKING:
    from textual import events
    from textual.binding import Binding
    from textual.screen import Screen

ICON = "⭘"
ICON_WIDTH = 8  # as Header's icon: the palette opens on a click there
CLOCK_WIDTH = 10  # the space Header keeps for its clock, so the title sits where it did


class TitleBar(Widget):
    """The app's title and sub-title, centred; a click on the icon opens the palette."""

    ALLOW_SELECT = False
    DEFAULT_CSS = """
    TitleBar {
        dock: top;
        width: 100%;
        height: 1;
        background: $panel;
        color: $foreground;
    }
    """

    def on_mount(self) -> None:
        self.watch(self.app, "title", self._changed, init=False)
        self.watch(self.app, "sub_title", self._changed, init=False)

    def _changed(self) -> None:
        self.refresh()

    def render(self) -> Content:
        middle = max(0, self.size.width - ICON_WIDTH - CLOCK_WIDTH)
        title = self.app.format_title(self.app.title, self.app.sub_title)
        if title.cell_length > middle:
            title = title.truncate(middle, ellipsis=True)
        gap = (middle - title.cell_length) // 2
        return Content.assemble(f" {ICON}".ljust(ICON_WIDTH) + " " * gap, title)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self.tooltip = "Open the command palette" if event.x < ICON_WIDTH else None

    async def on_click(self, event: events.Click) -> None:
        if event.x < ICON_WIDTH:
            event.stop()
            await self.run_action("app.command_palette")


class _Key(NamedTuple):
    binding: Binding
    display: str
    description: str
    enabled: bool
    tooltip: str
    start: int
    end: int


class KeyBar(Widget, can_focus=False):
    """The keys of what has focus, on one line, as Textual's compact ``Footer`` shows them:
    a click runs a key, a key that cannot run now is dimmed. On the main screen it shows as
    many as fit, in the order a writer uses them (:mod:`tui.key_line`), whole or not at all."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"key-bar--key", "key-bar--description", "key-bar--hover"}
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        width: 100%;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        .key-bar--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .key-bar--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        .key-bar--hover {
            color: $footer-key-foreground;
            background: $block-hover-background;
        }
    }
    """

    hovered: reactive[int] = reactive(-1)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._keys: list[_Key] | None = None
        self._width = -1

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        if self.is_attached and screen is self.screen:
            self._keys = None
            self.refresh()

    @property
    def keys(self) -> list[_Key]:
        """The keys shown, each with the columns it takes (one key per action, as Footer)."""
        if self._keys is None or self._width != self.size.width:
            from tui.key_line import ORDER

            # (dialogs keep their own keys, in their order)
            ordered = getattr(self.screen, "KEY_LINE_IN_ORDER_OF_USE", False)
            found: list[tuple[float, Binding, bool, str, str]] = []
            actions: set[str] = set()
            for n, (_node, binding, enabled, tooltip) in enumerate(
                self.screen.active_bindings.values()
            ):
                name = binding.id or binding.action
                listed = ordered and name in ORDER
                if not (binding.show or listed) or binding.action in actions:
                    continue
                actions.add(binding.action)
                rank = list(ORDER).index(name) if listed else len(ORDER) + n
                label = ORDER[name] if listed else binding.description
                found.append((rank, binding, enabled, tooltip or "", label))
            keys: list[_Key] = []
            column = 0
            for _, binding, enabled, tooltip, label in sorted(found, key=lambda f: f[0]):
                display = self.app.get_key_display(binding)
                width = cell_len(display) + (1 + cell_len(label) if label else 0)
                if ordered and column + width > self.size.width:
                    break  # (whole keys only: the rest wait for a wider terminal)
                keys.append(_Key(binding, display, label, enabled, tooltip, column, column + width))
                column += width + 1
            self._keys, self._width = keys, self.size.width
        return self._keys

    def render(self) -> Text:
        key_style = self.get_component_rich_style("key-bar--key")
        description_style = self.get_component_rich_style("key-bar--description")
        hover_style = self.get_component_rich_style("key-bar--hover")
        line = Text(no_wrap=True, end="")
        for index, key in enumerate(self.keys):
            part = Text.assemble(
                (key.display, key_style),
                (f" {key.description}" if key.description else "", description_style),
            )
            if index == self.hovered:
                part.stylize(hover_style)
            if not key.enabled:
                part.stylize("dim")
            line.append_text(part)
            line.append(" ")
        return line

    def key_at(self, x: int) -> _Key | None:
        return next((key for key in self.keys if key.start <= x < key.end), None)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        key = self.key_at(event.x)
        self.hovered = self.keys.index(key) if key else -1
        self.tooltip = (key.tooltip or None) if key else None

    def on_leave(self) -> None:
        self.hovered = -1

    def on_mouse_down(self, event: events.MouseDown) -> None:
        key = self.key_at(event.x)
        if key is None:
            return
        if key.enabled:
            self.app.simulate_key(key.binding.key)
        else:
            self.app.bell()
