"""The editor's side of the branch tree: every generation becomes a node, and moving in the tree
rewrites the branch's text as one undo step (:mod:`tui.store.branches` holds the tree)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from tui.store.keys import UNTITLED, store_path
from tui.textual_private import forget_rendered_lines
from tui.widgets.generated_text import GeneratedTextArea, Mark

if TYPE_CHECKING:
    from models.sampling import SamplerSettings
    from tui.store.branches import BranchTree, Move, Node


class Branches:
    """One document's tree: generations are added as they end, and saved at once.

    The tree is read when first needed: a document without one opens without the store's
    module (its dataclasses cost the launch ≈ 8 M instructions; docs/performance.md)."""

    def __init__(self) -> None:
        self.key = UNTITLED
        self._fresh = True
        self._tree: BranchTree | None = None
        self._pending: dict[int, tuple[str, dict[str, object], str]] = {}

    @property
    def tree(self) -> BranchTree:
        if self._tree is None:
            from tui.store.branches import BranchTree, load_tree

            self._tree = BranchTree() if self._fresh else load_tree(self.key)
        return self._tree

    def open(self, key: str, *, fresh: bool = False) -> None:
        """The tree of the document ``key`` from now on (``fresh``: start an empty one)."""
        self.key, self._fresh, self._tree = key, fresh, None
        self._pending.clear()

    def where(self) -> str:
        """Where the reader is ("branch 2 of 3"), or "" with no choice here."""
        if self._tree is None and (self._fresh or not store_path("branches", self.key).exists()):
            return ""
        return self.tree.where()

    def rekey(self, key: str) -> None:
        """The document was saved under a new name: keep its tree under that one too."""
        if key != self.key:
            tree = self.tree  # (read under the old name, if it was not yet)
            self.key = key
            if tree.nodes:
                self.save()

    def save(self) -> None:
        from tui.store.branches import save_tree

        save_tree(self.key, self.tree)

    def begin(self, request_id: int, prompt: str, sampler: SamplerSettings, model: str) -> None:
        """A generation continues ``prompt``: the node it will hang from is found (or the
        writer's text since the last node becomes one)."""
        parent = self.tree.node_for(prompt)
        self._pending[request_id] = (parent.id, sampler.as_dict(), model)

    def finish(self, request_id: int, text: str) -> Node | None:
        """The generation ended having written ``text``: it becomes the node being read."""
        pending = self._pending.pop(request_id, None)
        if pending is None or not text or pending[0] not in self.tree.nodes:
            return None
        parent, sampler, model = pending
        node = self.tree.add(parent, text, "model", sampler, model or None)
        self.tree.visit(node.id)
        self.save()
        return node

    def alternatives(
        self,
        prompt: str,
        texts: Sequence[str],
        chosen: int,
        sampler: SamplerSettings,
        model: str,
    ) -> None:
        """F6 wrote ``texts`` from ``prompt`` and the writer took ``chosen``: all are kept."""
        parent = self.tree.node_for(prompt)
        nodes = [
            self.tree.add(parent.id, text, "model", sampler.as_dict(), model or None)
            for text in texts
            if text
        ]
        if nodes:
            self.tree.visit(nodes[min(chosen, len(nodes) - 1)].id)
            self.save()

    def move(self, editor: GeneratedTextArea, move: Move | str) -> str | None:
        """Move one step (or to a node id) and show it in ``editor``; a reason where not."""
        from tui.store.branches import model_spans, plan_move

        plan = plan_move(self.tree, editor.text, move)
        if isinstance(plan, str):
            return plan
        start, end = editor.location_at(plan.start), editor.location_at(plan.end)
        editor.history.checkpoint()
        result = editor.replace(plan.text, start, end)  # one undo step; marks in it go
        editor.history.checkpoint()
        editor.marks.extend(
            Mark(editor.location_at(a), editor.location_at(b))
            for a, b in model_spans(self.tree, plan.node.id, plan.start)
        )
        editor.selection = editor.selection.cursor(result.end_location)
        editor.scroll_cursor_visible()
        forget_rendered_lines(editor)
        editor.refresh()
        self.save()
        return None
