"""`quillpen branches FILE`: the branch tree of a document, as an outline, JSON or one text."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from models.errors import QuillpenError


def branches_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    cmd = sub.add_parser(
        "branches", help="every version the model and you wrote of a document, as a tree"
    )
    cmd.add_argument("file", type=Path, help="the document")
    how = cmd.add_mutually_exclusive_group()
    how.add_argument("--json", action="store_true", help="the whole tree as one JSON object")
    how.add_argument(
        "--show", metavar="ID", help="print the document's text up to the end of node ID"
    )
    return cmd


def cmd_branches(args: argparse.Namespace) -> int:
    from tui.screens.branches import label
    from tui.store.branches import load_tree
    from tui.store.keys import document_key

    tree = load_tree(document_key(args.file))
    if args.json:
        json.dump(tree.to_record(), sys.stdout, ensure_ascii=False)
        print()
        return 0
    if args.show:
        matches = [n for n in tree.nodes if n.startswith(args.show)]
        if len(matches) != 1:
            what = "no node" if not matches else "more than one node"
            raise QuillpenError(f"{what} starts with {args.show!r}: see `quillpen branches FILE`")
        sys.stdout.write(tree.full_text(matches[0]))
        return 0
    if not tree.nodes:
        print(f"{args.file}: no branches yet (Tab, F6, templates and Ctrl+R make them)")
        return 0

    def outline(parent: str | None, depth: int) -> None:
        for node in tree.children(parent):
            here = node.id == tree.current
            print(f"{'  ' * depth}{node.id}  {label(node, here)}")
            outline(node.id, depth + 1)

    outline(None, 0)
    return 0
