"""Ctrl+O: open a file by typing its path (→ completes it), from the recent files, or from a
file tree. A binary file picked in the tree is refused here, with one message."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.suggester import Suggester
from textual.widgets import DirectoryTree, Input, Label, OptionList
from textual.widgets.option_list import Option

from models.text import printable
from tui.document import BINARY_SNIFF
from tui.screens.dialogs import AskPath


class PathSuggester(Suggester):
    """Completes the last part of a path with the first name in its folder that fits."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        path = Path(value).expanduser()
        folder, prefix = (path, "") if value.endswith(os.sep) else (path.parent, path.name)
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            return None
        for name in names:
            if name.startswith(prefix) and name != prefix and not name.startswith("."):
                rest = name[len(prefix) :]
                return value + rest + (os.sep if (folder / name).is_dir() else "")
        return None


class FileTree(DirectoryTree):
    """The folder's files, hidden ones left out."""

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        return [path for path in paths if not path.name.startswith(".")]


def looks_binary(path: Path) -> bool:
    """A NUL byte near the start, as :meth:`tui.document.Document.open` refuses."""
    try:
        with path.open("rb") as fh:
            return b"\x00" in fh.read(BINARY_SNIFF)
    except OSError:
        return False  # (opening it says why)


class OpenFile(AskPath):
    """A path typed (as :class:`AskPath`), a recent file or one from the tree; dismisses with
    it, or None (Esc)."""

    BINDINGS = [
        Binding("ctrl+r", "focus('#recent')", "Recent files", id="open.recent"),
        Binding("ctrl+t", "focus('#open-tree')", "File tree", id="open.tree"),
    ]

    def __init__(
        self,
        folder: Path,
        recent: list[Path],
        *,
        title: str = "Open file:",
        start_in_recent: bool = False,
    ) -> None:
        super().__init__(title)
        self.folder = folder
        self.recent = recent
        self.start_in_recent = start_in_recent and bool(recent)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="open-file"):
            yield Label(self.title_text, classes="dialog-question", markup=False)
            yield Input(
                placeholder="path/to/file.md (→ completes)", id="path", suggester=PathSuggester()
            )
            if self.recent:
                yield Label("Recent files (Ctrl+R):", classes="dialog-hint")
                options = [
                    Option(printable(_shown(p)), id=f"recent-{i}")
                    for i, p in enumerate(self.recent)
                ]
                yield OptionList(*options, id="recent", markup=False)
            yield Label(f"Files in {printable(str(self.folder))} (Ctrl+T):", classes="dialog-hint")
            yield FileTree(self.folder, id="open-tree")
            yield Label("Enter opens · Tab moves · Esc cancels", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#recent" if self.start_in_recent else "#path").focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        index = int((event.option.id or "recent-0").removeprefix("recent-"))
        self.dismiss(self.recent[index])

    def on_directory_tree_file_selected(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        if looks_binary(event.path):
            self.notify(
                f"{printable(event.path.name)} looks like a binary file, not text: pick another.",
                title="Cannot open",
                severity="warning",
            )
            return
        self.dismiss(event.path)


def _shown(path: Path) -> str:
    """The path as the writer reads it: ~ for the home folder."""
    home = str(Path.home())
    text = str(path)
    return "~" + text[len(home) :] if text.startswith(home + os.sep) else text
