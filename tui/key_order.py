"""Keys keep their order: a priority binding's action waits for the keys read before it.

Textual runs a priority binding as soon as the app reads its key, while the ordinary keys read
in the same burst are still queued for the focused widget. Over SSH keys arrive in bursts, so
"typed text + Enter" could send the message without its tail, and "text + Ctrl+S" save without
it. :func:`in_key_order` queues the action behind those keys instead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from textual.dom import DOMNode
from textual.widget import Widget


def in_key_order(node: DOMNode, action: Callable[[], Awaitable[object] | object]) -> None:
    """Run ``action`` once the focused widget has handled every key queued before now."""
    app = node.app
    target: Widget = app.focused or app.screen
    target.call_later(action)
