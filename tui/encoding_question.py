"""Before a save changes a file's encoding: ask (safety.md promises the encoding it had)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Awaitable

    from textual.screen import Screen
    from textual.widgets import TextArea

    from tui.document import Document


class Host(Protocol):
    @property
    def editor(self) -> TextArea: ...

    def push_screen_wait(self, screen: Screen[Any]) -> Awaitable[Any]: ...


async def may_change_encoding(host: Host, doc: Document) -> bool:
    """True when the text fits ``doc``'s encoding, or the writer chose UTF-8 for it; else the
    cursor goes to the first character the encoding cannot hold, and nothing is saved."""
    editor = host.editor
    text = editor.text
    misfit = doc.first_misfit(text)
    if misfit is None:
        return True
    from tui.screens.dialogs import Choice

    row = text.count("\n", 0, misfit)
    column = misfit - (text.rfind("\n", 0, misfit) + 1)
    question = (
        f"{doc.name} is {doc.encoding}, which cannot hold {text[misfit]!r} (line {row + 1}) or "
        "any character like it. Save it as UTF-8, or go back and remove them?"
    )
    choice = await host.push_screen_wait(
        Choice(question, [("back", "Go back"), ("utf-8", "Save as UTF-8")])
    )
    if choice == "utf-8":
        doc.encoding = "utf-8"
        return True
    editor.move_cursor((row, column))
    return False
