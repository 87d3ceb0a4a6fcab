"""Ctrl+T: the document's branch tree, with the branch being read highlighted.

Each line is one node: who wrote it (✎ the writer, ◆ the model) and its first words. The line
under the tree tells the highlighted node's model, sampler and time. Enter dismisses with that
node's id: the editor then shows its text in place of the current branch (one undo step).
"""

from __future__ import annotations

import time

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Tree
from textual.widgets.tree import TreeNode

from models.text import printable
from tui.store.branches import BranchTree, Node

PREVIEW = 60
"""Characters of a node's text shown on its line."""


def label(node: Node, current: bool) -> Text:
    text = printable(node.text).replace("\n", " ⏎ ").strip() or "(empty)"
    if len(text) > PREVIEW:
        text = text[: PREVIEW - 1] + "…"
    mark = "◆" if node.source == "model" else "✎"
    return Text(f"{mark} {text}{'  ◀ here' if current else ''}")  # never markup


def details(node: Node) -> str:
    """One line about where ``node`` came from."""
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(node.time))
    if node.source == "writer":
        return f"Your text · {len(node.text)} characters · {when}"
    sampler = node.sampler or {}
    knobs = ", ".join(
        f"{k} {sampler[k]}"
        for k in ("temperature", "top_p", "top_k", "seed")
        if sampler.get(k) is not None  # (no seed: a random one, nothing to tell)
    )
    parts = (when, node.model or "model", knobs, f"{len(node.text)} characters")
    return " · ".join(part for part in parts if part)


class BranchesScreen(ModalScreen[str | None]):
    """The tree; arrows move, Enter reads the node picked, Esc closes."""

    BINDINGS = [Binding("escape", "dismiss_none", "Close", id="branches.close")]

    def __init__(self, tree: BranchTree) -> None:
        super().__init__()
        self.branches = tree

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="branches"):
            yield Label(
                "Branch tree: ◆ the model wrote it, ✎ you did. Enter reads the branch picked "
                "(Ctrl+Z goes back) · Esc closes",
                classes="dialog-question",
            )
            view: Tree[str] = Tree("document", id="branch-tree")
            view.show_root = False
            yield view
            yield Label("", id="branch-details", classes="dialog-hint", markup=False)

    def on_mount(self) -> None:
        view = self.query_one(Tree)
        here: TreeNode[str] | None = None
        shown: dict[str | None, TreeNode[str]] = {None: view.root}
        for node in self.branches.nodes.values():  # parents come before their children
            parent = shown.get(node.parent)
            if parent is None:
                continue
            item = parent.add(label(node, node.id == self.branches.current), data=node.id)
            item.allow_expand = bool(self.branches.children(node.id))
            shown[node.id] = item
            if node.id == self.branches.current:
                here = item
        view.root.expand_all()
        if not self.branches.nodes:
            self.query_one("#branch-details", Label).update(
                "No branches yet: Tab, F6, a template or Ctrl+R make them."
            )
        if here is not None:
            view.call_after_refresh(view.move_cursor, here)
        view.focus()

    @on(Tree.NodeHighlighted)
    def _highlighted(self, event: Tree.NodeHighlighted[str]) -> None:
        node = self.branches.nodes.get(event.node.data or "")
        if node is not None:
            self.query_one("#branch-details", Label).update(details(node))

    @on(Tree.NodeSelected)
    def _selected(self, event: Tree.NodeSelected[str]) -> None:
        if event.node.data:
            self.dismiss(event.node.data)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
