"""Every key in one place: the app's own bindings, F1's groups and the keymap's contexts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from textual.binding import Binding, BindingType

from tui.screens.main import FIND_KEYS, MainScreen
from tui.screens.writer_tools import TOOL_BINDINGS
from tui.widgets.editor import WriterEditor
from tui.widgets.generated_text import GeneratedTextArea

if TYPE_CHECKING:
    from tui import keymap_check

APP: list[BindingType] = [
    Binding("f1", "help", "Help", id="app.help"),
    Binding("f5", "models", "Models", id="app.models"),
    Binding("ctrl+s", "save", "Save", id="app.save", priority=True),
    Binding("ctrl+o", "open", "Open", id="app.open", priority=True, show=False),
    Binding("ctrl+n", "new", "New", id="app.new", priority=True, show=False),
    Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True, show=False),
    Binding("escape", "stop", "Stop", id="app.stop", show=False),
    Binding("f8", "notes", "Memory & note", id="app.notes"),
]
EDITOR_EXTRA = GeneratedTextArea.BINDINGS
"""TextArea's own undo keys, given ids by the editor's base class (so the keymap moves them)."""
PALETTE = Binding("ctrl+p", "command_palette", "Command palette", id="app.palette")


def keymap_problems(keymap: dict[str, str]) -> list[str]:
    """What is wrong with a user keymap (:mod:`tui.keymap_check`); without one there is nothing to
    check, and no need to import every screen."""
    if not keymap:
        return []
    from tui import keymap_check as checks

    return checks.problems(keymap, contexts())


def help_groups() -> list[tuple[str, Sequence[BindingType]]]:
    """F1's sections, in the order a writer meets them."""
    from tui.screens.open_file import OpenFile
    from tui.widgets.chat import ChatPane
    from tui.widgets.find_bar import FindBar
    from tui.widgets.templates import TemplatePane

    return [
        ("App", APP),
        ("Panes", MainScreen.PANE_KEYS),
        ("Find", [*FIND_KEYS, *FindBar.BINDINGS]),
        ("Writing", TOOL_BINDINGS),
        ("Editor", [*WriterEditor.BINDINGS, *EDITOR_EXTRA]),
        ("Chat", ChatPane.BINDINGS),
        ("Templates", TemplatePane.BINDINGS),
        ("Open dialog", OpenFile.BINDINGS),
        ("App", [PALETTE]),
    ]


def contexts() -> list[keymap_check.Context]:
    """Where keys are live together: each place's bindings with the app's and its screen's."""
    # (The other places' screens, imported here: the app starts without them.)
    from tui.screens.alternatives import AlternativesScreen
    from tui.screens.branches import BranchesScreen
    from tui.screens.dialogs import AskPath, Choice
    from tui.screens.disk_changes import DiskChanges
    from tui.screens.goal import GoalScreen
    from tui.screens.help import HelpScreen
    from tui.screens.models import ModelsScreen
    from tui.screens.notes import NotesScreen
    from tui.screens.open_file import OpenFile
    from tui.screens.spelling import SpellingScreen
    from tui.widgets.chat import ChatPane
    from tui.widgets.find_bar import FindBar
    from tui.widgets.templates import TemplatePane

    main = MainScreen.BINDINGS
    return [
        ("editor", [*APP, *main, *WriterEditor.BINDINGS, *EDITOR_EXTRA]),
        ("chat", [*APP, *main, *ChatPane.BINDINGS]),
        ("templates", [*APP, *main, *TemplatePane.BINDINGS]),
        ("find bar", [*APP, *main, *FindBar.BINDINGS]),
        ("models screen", [*APP, *ModelsScreen.BINDINGS]),
        ("alternatives", [*APP, *AlternativesScreen.BINDINGS]),
        ("notes", [*APP, *NotesScreen.BINDINGS]),
        ("branch tree", [*APP, *BranchesScreen.BINDINGS]),
        ("help", [*APP, *HelpScreen.BINDINGS]),
        ("dialogs", [*APP, *Choice.BINDINGS]),
        ("open dialog", [*APP, *AskPath.BINDINGS, *OpenFile.BINDINGS]),
        ("spelling", [*APP, *SpellingScreen.BINDINGS]),
        ("goal", [*APP, *GoalScreen.BINDINGS]),
        ("disk changes", [*APP, *DiskChanges.BINDINGS]),
    ]
