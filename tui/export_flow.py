"""The palette's "Export…" as a dialog flow: a file name, how to mark the model's text, then
the file (:mod:`tui.export` writes it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.session import may_replace

if TYPE_CHECKING:
    from tui.session import SessionHost


async def export_document(host: SessionHost, text: str, ranges: list[tuple[int, int]]) -> None:
    """The palette's "Export…": a file name, how to mark the model's text, then the file."""
    from tui.export import export, summary
    from tui.screens.dialogs import AskPath, Choice

    path = await host.push_screen_wait(AskPath("Export to (.md for Markdown, else text):"))
    if path is None:
        return
    path = path.expanduser()
    if path.is_dir():
        host.notify(f"{path} is a folder: give a file name", title="Not exported")
        return
    if not await may_replace(host, path, "the export"):
        return
    mark = await host.push_screen_wait(
        Choice(
            "Mark the text the model wrote?",
            [("asterisks", "*like this*"), ("brackets", "[[like this]]"), ("none", "No marks")],
        )
    )
    if mark is None:
        return
    body, stats = export(text, ranges, mark=mark)
    try:
        path.write_text(body, encoding="utf-8")
    except OSError as exc:
        host.notify(f"cannot write {path}: {exc.strerror or exc}", title="Not exported")
        return
    host.notify(f"Exported {path}: {summary(stats)}.", title="Export", timeout=8)
