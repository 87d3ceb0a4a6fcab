"""Keys keep their order, and an Alt+letter never types its letter.

Textual runs a priority binding as soon as the app reads its key, while the ordinary keys read
in the same burst are still queued for the focused widget. Over SSH keys arrive in bursts, so
"typed text + Enter" could send the message without its tail, and "text + Ctrl+S" save without
it. :func:`in_key_order` queues the action behind those keys instead.

An ordinary binding runs the other way round: Textual looks for it only once the key has
bubbled from the focused widget up to the app, and by then the widget has already handled the
keys read after it (``Ctrl+Home z`` typed the z where the cursor was; docs/upstream.md).
:func:`run_binding_first` runs it in the widget, in turn. Terminals send Alt+S as ESC then s,
which Textual reads as ``alt+s`` carrying the character "s": a text area typed it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from textual import events
from textual.dom import DOMNode
from textual.widget import Widget

from tui.textual_private import run_ordinary_binding


def in_key_order(node: DOMNode, action: Callable[[], Awaitable[object] | object]) -> None:
    """Run ``action`` once the focused widget has handled every key queued before now."""
    app = node.app
    target: Widget = app.focused or app.screen
    target.call_later(action)


async def run_binding_first(widget: Widget, event: events.Key) -> None:
    """In a text area's ``_on_key``: run ``event``'s binding now, in the order keys arrived.

    A key with a binding (the widget's, its screen's or the app's) runs it here and goes no
    further; an unbound Alt+letter (ESC then a letter) is dropped rather than typed."""
    if not widget.has_focus:
        return  # (the app looks for bindings from the focused widget)
    if await run_ordinary_binding(widget.app, event.key) or _alt_letter(event):
        event.stop()
        event.prevent_default()


def _alt_letter(event: events.Key) -> bool:
    return event.key.startswith("alt+") and event.is_printable
