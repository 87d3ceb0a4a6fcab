"""Every version of a document's text the model or the writer made, kept as a tree (Loom-style).

Each generation (Tab, a template, F6's alternatives, a swapped word) is a node whose parent is
the text it continued. A node holds only its own piece of text; the text of the document up to
the end of a node is the pieces of its ancestors joined (:meth:`BranchTree.full_text`). Where
the writer's own text comes between generations, it is a node too (source ``writer``). The tree
is stored beside the document's other data, versioned, never inside the document.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from tui.store.files import read_record, write_record
from tui.store.keys import store_path

log = logging.getLogger("quillpen.store.branches")
VERSION = 1
Source = Literal["model", "writer"]
Move = Literal["parent", "child", "previous", "next"]


@dataclass
class Node:
    """One piece of text and where it came from."""

    id: str
    parent: str | None
    text: str
    source: Source
    sampler: dict[str, Any] | None = None
    model: str | None = None
    time: float = field(default_factory=time.time)
    visited: float = 0.0


class BranchTree:
    """The nodes of one document, in the order they were made, and the one being read."""

    def __init__(self, nodes: list[Node] | None = None, current: str | None = None) -> None:
        self.nodes: dict[str, Node] = {n.id: n for n in nodes or ()}
        self.current = current if current in self.nodes else None

    def children(self, node_id: str | None) -> list[Node]:
        """The nodes made from ``node_id`` (None: the roots), oldest first."""
        return [n for n in self.nodes.values() if n.parent == node_id]

    def siblings(self, node: Node) -> list[Node]:
        return self.children(node.parent)

    def path(self, node_id: str) -> list[Node]:
        """The root … ``node_id``."""
        out: list[Node] = []
        node: Node | None = self.nodes[node_id]
        while node is not None:
            out.append(node)
            node = self.nodes.get(node.parent) if node.parent else None
        return out[::-1]

    def full_text(self, node_id: str) -> str:
        """The document's text up to the end of ``node_id``."""
        return "".join(n.text for n in self.path(node_id))

    def add(
        self,
        parent: str | None,
        text: str,
        source: Source,
        sampler: dict[str, Any] | None = None,
        model: str | None = None,
    ) -> Node:
        node = Node(uuid.uuid4().hex[:12], parent, text, source, sampler, model)
        self.nodes[node.id] = node
        return node

    def visit(self, node_id: str) -> None:
        """Make ``node_id`` the node being read."""
        self.current = node_id
        self.nodes[node_id].visited = time.time()

    def anchor(self, text: str) -> Node | None:
        """The node whose full text is the longest start of ``text`` (on the current path first,
        then the latest visited). Walks down from the roots, comparing each piece in place."""
        on_path = {n.id for n in self.path(self.current)} if self.current else set()
        below: dict[str | None, list[Node]] = {}
        for node in self.nodes.values():
            below.setdefault(node.parent, []).append(node)
        best: tuple[int, bool, float] | None = None
        found: Node | None = None
        stack = [(node, 0) for node in below.get(None, ())]
        while stack:
            node, start = stack.pop()
            if not text.startswith(node.text, start):
                continue
            end = start + len(node.text)
            rank = (end, node.id in on_path, node.visited)
            if best is None or rank > best:
                best, found = rank, node
            stack.extend((kid, end) for kid in below.get(node.id, ()))
        return found

    def node_for(self, text: str) -> Node:
        """The node whose full text is exactly ``text``: the writer's text since the nearest
        node becomes a new ``writer`` node where no node matches."""
        anchor = self.anchor(text)
        parent = anchor.id if anchor else None
        rest = text[len(self.full_text(anchor.id)) :] if anchor else text
        if anchor is not None and not rest:
            return anchor
        same = [n for n in self.children(parent) if n.source == "writer" and n.text == rest]
        return same[0] if same else self.add(parent, rest, "writer")

    def step(self, node: Node, move: Move) -> Node | None:
        """The node one ``move`` away from ``node``; None where there is none."""
        if move == "parent":
            return self.nodes.get(node.parent) if node.parent else None
        if move == "child":
            kids = self.children(node.id)
            return max(kids, key=lambda n: n.visited) if kids else None
        row = self.siblings(node)
        at = row.index(node) + (1 if move == "next" else -1)
        return row[at] if 0 <= at < len(row) else None

    def where(self) -> str:
        """Where the reader is, in a few words ("branch 2 of 3"), or "" with no choice here."""
        node = self.nodes.get(self.current) if self.current else None
        if node is None:
            return ""
        row = self.siblings(node)
        kids = len(self.children(node.id))
        parts = [f"branch {row.index(node) + 1} of {len(row)}"] if len(row) > 1 else []
        if kids:
            parts.append(f"{kids} below")
        return " · ".join(parts)

    def to_record(self) -> dict[str, Any]:
        return {"current": self.current, "nodes": [asdict(n) for n in self.nodes.values()]}


def branches_path(key: str) -> Path:
    return store_path("branches", key)


def save_tree(key: str, tree: BranchTree) -> bool:
    """Write ``tree`` for the document ``key``; False (logged) when the disk refuses."""
    try:
        write_record(branches_path(key), VERSION, tree.to_record())
    except OSError as exc:
        log.warning("could not save the branch tree: %s", exc)
        return False
    return True


def _node(raw: object) -> Node | None:
    if not isinstance(raw, dict):
        return None
    try:
        node = Node(**{k: raw[k] for k in Node.__dataclass_fields__ if k in raw})
    except TypeError:
        return None
    good = (
        isinstance(node.id, str)
        and isinstance(node.text, str)
        and node.source in ("model", "writer")
        and (node.parent is None or isinstance(node.parent, str))
    )
    return node if good else None


def load_tree(key: str) -> BranchTree:
    """The tree saved for ``key``; an empty one when there is none or it cannot be read (a node
    whose parent is lost goes with it)."""
    record = read_record(branches_path(key))
    raw = record[1] if record else None
    if not isinstance(raw, dict) or not isinstance(raw.get("nodes"), list):
        return BranchTree()
    nodes: dict[str, Node] = {}
    for node in filter(None, map(_node, raw["nodes"])):
        if node.parent is None or node.parent in nodes:
            nodes[node.id] = node
    current = raw.get("current")
    return BranchTree(list(nodes.values()), current if isinstance(current, str) else None)


@dataclass
class Replace:
    """A move in the tree as one edit of the document: characters [start, end) become ``text``;
    ``node`` is the node now read (``start`` is where its path parts from the old one)."""

    start: int
    end: int
    text: str
    node: Node


NOTHING_THERE: dict[str, str] = {
    "parent": "This is the first text of the tree: nothing above it.",
    "child": "Nothing was written from here yet: Tab writes a branch.",
    "previous": "This is the first branch here.",
    "next": "This is the last branch here: F6 or Tab from the same place write more.",
}


def _here(tree: BranchTree, doc: str) -> tuple[Node, int]:
    """The node being read and where its text ends in ``doc``. The document must start with
    that node's text (what follows is the writer's text after the branch, and stays); where the
    writer changed it, their version becomes a node first, so moving never loses it."""
    here = tree.nodes.get(tree.current) if tree.current else None
    if here is not None and doc.startswith(full := tree.full_text(here.id)):
        return here, len(full)
    here = tree.node_for(doc)
    tree.visit(here.id)
    return here, len(doc)


def _goto(tree: BranchTree, target: Node, here: Node, end: int) -> Replace:
    """The document changed to read ``target`` instead of ``here`` (whose text ends at ``end``)."""
    shared = {n.id for n in tree.path(here.id)}
    common = [n for n in tree.path(target.id) if n.id in shared]
    start = len(tree.full_text(common[-1].id)) if common else 0
    tree.visit(target.id)
    return Replace(start, end, tree.full_text(target.id)[start:], target)


def plan_move(tree: BranchTree, doc: str, move: Move | str) -> Replace | str:
    """How ``doc`` changes when the reader takes one step (``move``, or a node id to go to)
    in ``tree``; a reason where it can't."""
    if not tree.nodes:
        return "No branches yet: Tab, F6, a template or Ctrl+R make them."
    here, end = _here(tree, doc)
    if move in NOTHING_THERE:
        target = tree.step(here, move)  # type: ignore[arg-type]
        if target is None:
            return NOTHING_THERE[move]
    elif (target := tree.nodes.get(move)) is None:
        return "That branch is gone."
    return _goto(tree, target, here, end)


def model_spans(tree: BranchTree, node_id: str, start: int) -> list[tuple[int, int]]:
    """Character ranges, from ``start`` on, that model nodes wrote on the path to ``node_id``."""
    spans, at = [], 0
    for node in tree.path(node_id):
        end = at + len(node.text)
        if node.source == "model" and end > start and node.text:
            spans.append((max(at, start), end))
        at = end
    return spans
