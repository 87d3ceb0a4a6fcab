"""The status bar forgets the last document's context use; the tree's info line is whole."""

from __future__ import annotations

import time
from pathlib import Path

from tests.support.helpers import wait_until
from tui.app import QuillpenApp
from tui.config import Settings
from tui.screens.branches import BranchesScreen, details
from tui.store.branches import BranchTree


async def test_opening_another_file_resets_ctx(tmp_path: Path) -> None:
    first, second = tmp_path / "a.md", tmp_path / "b.md"
    first.write_text("one")
    second.write_text("two")
    app = QuillpenApp(first, settings=Settings())
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: app.editor.text == "one")
        app.status.context_used, app.status.hidden_chars = 239, 5000  # (a generation's figures)
        app.session.open_path(second)
        await wait_until(pilot, lambda: app.editor.text == "two")
        assert (app.status.context_used, app.status.hidden_chars) == (0, 0)
        assert "ctx 0/" in str(app.status.render())


def _tree() -> BranchTree:
    tree = BranchTree()
    root = tree.add(None, "The storm came", "writer")
    sampler = {"temperature": 0.8, "top_p": 0.95, "top_k": 40, "seed": None}
    tree.add(
        root.id,
        " over the hill " * 4,
        "model",
        sampler,
        "http://gpu-box.example.org:8000/v1 gpt2-xl Q8_0",
    )
    return tree


def test_the_info_line_leaves_out_a_seed_never_set() -> None:
    node = list(_tree().nodes.values())[1]
    line = details(node)
    assert "None" not in line and "temperature 0.8" in line
    assert line.startswith(time.strftime("%Y-%m-%d %H:%M", time.localtime(node.time)))


async def test_the_info_line_is_whole_at_140_columns() -> None:
    tree = _tree()
    node = list(tree.nodes.values())[1]
    tree.current = node.id
    app = QuillpenApp(None, settings=Settings())
    async with app.run_test(size=(140, 40)) as pilot:
        app.push_screen(BranchesScreen(tree))
        await wait_until(pilot, lambda: bool(app.screen.query("#branch-details")))
        label = app.screen.query_one("#branch-details")
        await wait_until(pilot, lambda: "characters" in str(label.render()))
        await pilot.pause()
        box = app.screen.query_one("#branches").content_region
        assert label.region.right <= box.right  # (not wider than the dialog: cut off)
        assert label.size.width * label.size.height >= len(details(node))
