"""The branch tree: every generation is a node; Alt+arrows and Ctrl+B move between versions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.app import make_app, ready
from tests.support.helpers import continued, wait_until
from tests.tui.cli.test_cli import quillpen
from tui.screens.alternatives import AlternativesScreen
from tui.screens.branches import BranchesScreen
from tui.store.branches import BranchTree, branches_path, load_tree, plan_move, save_tree
from tui.store.keys import document_key

# The tree and its moves, without the app ---------------------------------------------------


def test_writer_text_and_generations_become_nodes() -> None:
    tree = BranchTree()
    start = tree.node_for("Once upon")
    assert (start.source, start.text, start.parent) == ("writer", "Once upon", None)
    a = tree.add(start.id, " a time", "model")
    b = tree.add(start.id, " the hill", "model")
    tree.visit(a.id)
    assert tree.node_for("Once upon") is start  # the same text finds the same node
    more = tree.node_for("Once upon a time, they said")
    assert (more.parent, more.text, more.source) == (a.id, ", they said", "writer")
    assert tree.full_text(more.id) == "Once upon a time, they said"
    assert [n.id for n in tree.siblings(b)] == [a.id, b.id]


def test_moves_rewrite_only_the_branch_and_keep_what_follows() -> None:
    tree = BranchTree()
    root = tree.node_for("Title. ")
    a = tree.add(root.id, "Rain fell.", "model")
    b = tree.add(root.id, "Sun rose.", "model")
    tree.visit(a.id)
    doc = "Title. Rain fell. THE END"
    plan = plan_move(tree, doc, "next")
    assert not isinstance(plan, str)
    assert (plan.start, plan.end, plan.text, plan.node.id) == (7, 17, "Sun rose.", b.id)
    doc = doc[: plan.start] + plan.text + doc[plan.end :]
    assert doc == "Title. Sun rose. THE END"
    assert tree.current == b.id
    assert (
        plan_move(tree, doc, "next")
        == "This is the last branch here: F6 or Tab from the same place write more."
    )
    up = plan_move(tree, doc, "parent")
    assert not isinstance(up, str) and up.text == "" and up.node.id == root.id
    doc = doc[: up.start] + up.text + doc[up.end :]
    down = plan_move(tree, doc, "child")  # the one read last
    assert not isinstance(down, str) and down.node.id == b.id


def test_a_branch_the_writer_changed_is_kept_before_moving() -> None:
    tree = BranchTree()
    root = tree.node_for("A ")
    a = tree.add(root.id, "cat.", "model")
    tree.add(root.id, "dog.", "model")
    tree.visit(a.id)
    plan = plan_move(tree, "A cow.", "previous")  # the writer turned "cat." into "cow."
    assert not isinstance(plan, str)
    assert [(n.text, n.source) for n in tree.children(root.id)] == [
        ("cat.", "model"),
        ("dog.", "model"),
        ("cow.", "writer"),  # their version is the newest branch
    ]
    assert plan.text == "dog." and (plan.start, plan.end) == (2, 6)


def test_the_tree_is_stored_versioned_and_read_back(tmp_path: Path) -> None:
    tree = BranchTree()
    root = tree.node_for("x")
    kid = tree.add(root.id, "y", "model", {"temperature": 0.8}, "gpt2 Q8_0")
    tree.visit(kid.id)
    assert save_tree("k", tree)
    raw = json.loads(branches_path("k").read_text())
    assert raw["version"] == 1 and raw["current"] == kid.id
    back = load_tree("k")
    assert back.full_text(kid.id) == "xy" and back.current == kid.id
    assert back.nodes[kid.id].sampler == {"temperature": 0.8}
    raw["nodes"].append({"id": "lost", "parent": "nowhere", "text": "z", "source": "model"})
    raw["nodes"].append({"id": 5, "text": None})
    branches_path("k").write_text(json.dumps(raw))
    assert set(load_tree("k").nodes) == {root.id, kid.id}  # broken nodes are left out
    branches_path("k").write_text("{not json")
    assert not load_tree("k").nodes


# In the app ---------------------------------------------------------------------------------


async def two_tries(pilot: Any, app: Any) -> tuple[str, str, str]:
    """Type, Tab, undo, Tab again: two branches from the same text."""
    await pilot.press(*"Once", "space", *"upon")
    typed = app.editor.text
    await continued(pilot, app, "tab")
    first = app.editor.text
    await pilot.press("ctrl+z")
    assert app.editor.text == typed
    await continued(pilot, app, "tab")
    return typed, first, app.editor.text


async def test_alt_arrows_move_between_tries(tmp_path: Path, tiny_gguf: Path) -> None:
    story = tmp_path / "s.md"
    app = make_app(story, tiny_gguf, continue_tokens=12)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot, app)
        typed, first, second = await two_tries(pilot, app)
        editor = app.editor
        assert editor.border_subtitle == "branch 2 of 2"
        await pilot.press("alt+left")
        assert editor.text == first
        assert editor.border_subtitle == "branch 1 of 2"
        assert editor.generated_ranges() == [(len(typed), len(first))]  # still marked
        assert editor.cursor_location == editor.document.end
        await pilot.press("alt+right")
        assert editor.text == second
        await pilot.press("alt+up")
        assert editor.text == typed
        assert editor.border_subtitle == "2 below"
        await pilot.press("alt+down")  # back to the one read last
        assert editor.text == second
        await pilot.press("alt+left", "ctrl+z")  # a move is one undo step
        assert editor.text == second
        await pilot.press("ctrl+y")
        assert editor.text == first
        await continued(pilot, app, "tab")  # a continuation grows from the branch read
        tree = editor.branches.tree
        assert tree.current is not None
        assert tree.full_text(tree.current) == editor.text
        assert editor.text.startswith(first)


async def test_the_tree_outlives_the_session(tmp_path: Path, tiny_gguf: Path) -> None:
    story = tmp_path / "s.md"
    app = make_app(story, tiny_gguf, continue_tokens=12)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot, app)
        typed, first, second = await two_tries(pilot, app)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: story.exists())
    assert story.read_text() == second
    assert branches_path(document_key(story)).exists()
    app = make_app(story, tiny_gguf, continue_tokens=12)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot, app)
        await pilot.press("alt+left")
        assert app.editor.text == first

    listed = json.loads(quillpen("branches", str(story), "--json").stdout)  # scripts see it too
    by_text = {n["text"]: n for n in listed["nodes"]}
    assert by_text[typed]["source"] == "writer"
    tries = [n for n in listed["nodes"] if n["parent"] == by_text[typed]["id"]]
    assert [typed + n["text"] for n in tries] == [first, second]
    assert all(n["source"] == "model" and n["sampler"]["temperature"] for n in tries)
    shown = quillpen("branches", str(story), "--show", tries[1]["id"][:6])
    assert shown.returncode == 0 and shown.stdout == second
    outline = quillpen("branches", str(story)).stdout.splitlines()
    assert len(outline) == 3 and outline[0].split()[1] == "✎"
    assert outline[1].startswith("  ") and outline[1].endswith("◀ here")  # read last
    missing = quillpen("branches", str(story), "--show", "zzz")
    assert missing.returncode == 1 and "no node" in missing.stderr


async def test_ctrl_t_shows_the_tree_and_enter_reads_a_branch(
    tmp_path: Path, tiny_gguf: Path
) -> None:
    app = make_app(tmp_path / "s.md", tiny_gguf, continue_tokens=12)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot, app)
        _typed, first, _second = await two_tries(pilot, app)
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: isinstance(app.screen, BranchesScreen))
        screen = app.screen
        lines = [str(n.label) for n in screen.query_one("#branch-tree").root.children]
        assert len(lines) == 1 and lines[0].startswith("✎ Once upon")
        kids = screen.query_one("#branch-tree").root.children[0].children
        assert [str(k.label).startswith("◆") for k in kids] == [True, True]
        assert str(kids[1].label).endswith("◀ here")
        details = screen.query_one("#branch-details")
        await wait_until(pilot, lambda: "temperature" in str(details.render()))  # the one read
        await pilot.press("up", "enter")  # the first try
        await wait_until(pilot, lambda: not isinstance(app.screen, BranchesScreen))
        assert app.editor.text == first


async def test_f6_keeps_every_alternative_as_a_branch(tmp_path: Path, tiny_gguf: Path) -> None:
    app = make_app(tmp_path / "s.md", tiny_gguf)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot, app)
        await pilot.press(*"Rain")
        await pilot.press("f6")
        await wait_until(pilot, lambda: isinstance(app.screen, AlternativesScreen))
        screen = app.screen
        await wait_until(pilot, lambda: len(screen.done) == 3, 20)
        texts = list(screen.texts)
        await pilot.press("2")
        await wait_until(pilot, lambda: not isinstance(app.screen, AlternativesScreen))
        assert app.editor.text == "Rain" + texts[1]
        tree = app.editor.branches.tree
        here = tree.nodes[tree.current or ""]
        assert [n.text for n in tree.siblings(here)] == texts
        await pilot.press("alt+left")
        assert app.editor.text == "Rain" + texts[0]


async def test_moving_says_why_when_there_is_nowhere_to_go(tmp_path: Path, tiny_gguf: Path) -> None:
    app = make_app(tmp_path / "s.md", tiny_gguf, continue_tokens=12)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot, app)
        await pilot.press(*"Hello", "alt+left")
        assert app.editor.text == "Hello"
        assert any("No branches yet" in n.message for n in app._notifications)
        await pilot.press("ctrl+p", *"branch tree")
        await pilot.pause(0.3)
        await pilot.press("enter")  # the palette has it too
        await wait_until(pilot, lambda: isinstance(app.screen, BranchesScreen))
        details = app.screen.query_one("#branch-details")
        assert "No branches yet" in str(details.render())


async def test_an_untitled_drafts_tree_follows_it_when_saved(
    tmp_path: Path, tiny_gguf: Path
) -> None:
    from tests.tui.test_saving import answer_path

    target = tmp_path / "named.md"
    app = make_app(None, tiny_gguf, continue_tokens=12)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot, app)
        _typed, first, second = await two_tries(pilot, app)
        await pilot.press("ctrl+s")
        await answer_path(pilot, app, target)
        await wait_until(pilot, lambda: target.exists())
    tree = load_tree(document_key(target))
    assert {tree.full_text(n.id) for n in tree.nodes.values()} >= {first, second}
    app = make_app(None, tiny_gguf)  # a new untitled draft starts a tree of its own
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot, app)
        await pilot.press(*"Fresh", "alt+left")
        assert app.editor.text == "Fresh"
        assert not app.editor.branches.tree.nodes
