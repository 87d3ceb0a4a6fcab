"""The find bar in the real app: find as you type, replace one or all, go to line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.helpers import wait_until
from tests.tui.test_app import finished, make_app, ready
from tui.app import QuillpenApp
from tui.find import find_hits
from tui.widgets.find_bar import FindBar
from tui.widgets.find_marks import CURRENT_STYLE, MATCH_STYLE

STORY = "The sea was grey.\nThe keeper saw the sea.\nSEA and seahorse.\n"


def _bar(app: QuillpenApp) -> FindBar:
    return app.screen.query_one(FindBar)


def _count(app: QuillpenApp) -> str:
    return str(_bar(app).query_one("#find-count").render())


def _styles(app: QuillpenApp, row: int) -> list[tuple[int, int, object]]:
    line = app.editor.get_line(row)
    return [(s.start, s.end, s.style) for s in line.spans]


async def _open(tmp_path: Path, text: str = STORY) -> tuple[QuillpenApp, Path]:
    path = tmp_path / "story.txt"
    path.write_text(text, encoding="utf-8")
    return make_app(path, None), path


async def test_find_as_you_type_counts_and_highlights_every_match(tmp_path: Path) -> None:
    app, _ = await _open(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        app.editor.move_cursor((0, 0))
        await pilot.press("ctrl+f")
        await wait_until(pilot, lambda: app.screen.query(FindBar) and _bar(app).display)
        await pilot.press(*"sea")
        await wait_until(pilot, lambda: _count(app) == "1 of 4")
        assert app.editor.selected_text == "sea"  # the first match after the cursor
        assert (0, 4, 7, CURRENT_STYLE) in [(0, *s) for s in _styles(app, 0)]
        assert (1, 19, 22, MATCH_STYLE) in [(1, *s) for s in _styles(app, 1)]
        await pilot.press("down", "down")
        assert _count(app) == "3 of 4" and app.editor.selection.start == (2, 0)
        await pilot.press("up")
        assert _count(app) == "2 of 4"
        await pilot.press("ctrl+l")  # whole words: "seahorse" no longer counts
        await wait_until(pilot, lambda: _count(app).endswith("of 3"))
        await pilot.press("ctrl+t")  # and match case: "SEA" neither
        await wait_until(pilot, lambda: _count(app).endswith("of 2"))
        await pilot.press("escape")
        assert not _bar(app).display and app.editor.has_focus
        assert not app.editor.found.hits  # the highlights go with the bar


async def test_a_bad_regex_is_a_short_message_not_an_exception(tmp_path: Path) -> None:
    app, _ = await _open(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+f")
        await wait_until(pilot, lambda: app.screen.query(FindBar) and _bar(app).display)
        await pilot.press("ctrl+r", *"se(a")
        await wait_until(pilot, lambda: _count(app).startswith("Bad pattern"))
        assert "missing )" in _count(app)
        assert not app.editor.found.hits
        await pilot.press(")")
        await wait_until(pilot, lambda: _count(app).endswith("of 4"))
        assert app.editor.text == STORY  # nothing lost


async def test_replace_all_is_one_undo_step_and_says_how_many(tmp_path: Path) -> None:
    app, _ = await _open(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+backslash")
        await wait_until(pilot, lambda: app.screen.query(FindBar) and _bar(app).display)
        await pilot.press(*"sea", "ctrl+l")
        await wait_until(pilot, lambda: _count(app).endswith("of 3"))
        _bar(app).replace_input.focus()
        await pilot.press(*"ocean", "ctrl+y")
        await wait_until(pilot, lambda: "ocean" in app.editor.text)
        assert app.editor.text == (
            "The ocean was grey.\nThe keeper saw the ocean.\nocean and seahorse.\n"
        )
        assert _count(app) == "Replaced 3 (Ctrl+Z undoes all)"
        assert not app.editor.found.hits
        app.editor.focus()
        await pilot.press("ctrl+z")
        assert app.editor.text == STORY  # all three at once


async def test_replace_one_then_the_next_with_regex_groups(tmp_path: Path) -> None:
    app, _ = await _open(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        app.editor.move_cursor((0, 0))
        await pilot.press("ctrl+backslash")
        await wait_until(pilot, lambda: app.screen.query(FindBar) and _bar(app).display)
        await pilot.press("ctrl+r", *r"(\w+)er\b")
        await wait_until(pilot, lambda: _count(app) == "1 of 1")
        _bar(app).replace_input.focus()
        await pilot.press(*r"\1ing", "enter")
        await wait_until(pilot, lambda: "keeping" in app.editor.text)
        assert app.editor.text.splitlines()[1] == "The keeping saw the sea."


async def test_a_replaced_span_is_the_writers_the_rest_stays_generated(tmp_path: Path) -> None:
    app, _ = await _open(tmp_path, "Intro. The sea rose and the sea fell.")
    async with app.run_test(size=(80, 24)) as pilot:
        editor = app.editor
        editor.restore_marks([(7, 37)])  # the model wrote the second sentence
        await pilot.press("ctrl+backslash")
        await wait_until(pilot, lambda: app.screen.query(FindBar) and _bar(app).display)
        await pilot.press(*"sea")
        await wait_until(pilot, lambda: _count(app).endswith("of 2"))
        _bar(app).replace_input.focus()
        await pilot.press(*"ocean", "ctrl+y")
        await wait_until(pilot, lambda: "ocean" in editor.text)
        assert editor.text == "Intro. The ocean rose and the ocean fell."
        parts = [editor.text[a:b] for a, b in editor.generated_ranges()]
        assert parts == ["The ", " rose and the ", " fell."]


async def test_go_to_line_and_column(tmp_path: Path) -> None:
    text = "".join(f"line {n}\n" for n in range(1, 201))
    app, _ = await _open(tmp_path, text)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: app.screen.query(FindBar) and _bar(app).display)
        await pilot.press(*"12x", "enter")
        await wait_until(pilot, lambda: "line number" in _count(app))
        await pilot.press("backspace", *"0:3", "enter")
        await wait_until(pilot, lambda: app.editor.has_focus)
        assert app.editor.cursor_location == (119, 2)
        assert app.editor.scroll_offset.y > 100  # the line is on screen
        await pilot.press("ctrl+g", *"9999", "enter")
        await wait_until(pilot, lambda: app.editor.cursor_location[0] == 200)


async def test_find_in_chinese_text(tmp_path: Path) -> None:
    app, _ = await _open(tmp_path, "床前明月光，疑是地上霜。\n举头望明月，低头思故乡。\n")
    async with app.run_test(size=(80, 24)) as pilot:
        app.editor.move_cursor((0, 0))
        await pilot.press("ctrl+f")
        await wait_until(pilot, lambda: app.screen.query(FindBar) and _bar(app).display)
        await pilot.press(*"明月")
        await wait_until(pilot, lambda: _count(app) == "1 of 2")
        assert app.editor.found.hits == [(0, 2, 4), (1, 3, 5)]
        assert app.editor.selected_text == "明月"
        await pilot.press("ctrl+backslash")
        _bar(app).replace_input.focus()
        await pilot.press(*"星", "ctrl+y")
        await wait_until(pilot, lambda: "星" in app.editor.text)
        assert app.editor.text == "床前星光，疑是地上霜。\n举头望星，低头思故乡。\n"


@pytest.fixture
def slow_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.support import engine_hooks

    engine_hooks.use(monkeypatch, "slow")


async def test_find_follows_text_the_model_is_still_writing(
    tmp_path: Path, tiny_gguf: Path, slow_stream: None
) -> None:
    app = make_app(tmp_path / "s.md", tiny_gguf, continue_tokens=200)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, app)
        await pilot.press(*"Rain")
        await pilot.press("tab")
        await wait_until(pilot, lambda: len(app.editor.text) > 12)
        await pilot.press("ctrl+f")
        await wait_until(
            pilot, lambda: app.screen.query(FindBar) and _bar(app).find_input.has_focus
        )
        await pilot.press("e")  # a letter the stream keeps writing
        await wait_until(pilot, lambda: app.editor.found.hits)
        first = len(app.editor.found.hits)
        assert app.editor.generating, "finding does not stop the model"
        await wait_until(pilot, lambda: len(app.editor.found.hits) > first, 20)
        await pilot.press("ctrl+backslash")  # replacing waits until the text is all there
        _bar(app).replace_input.focus()
        await pilot.press("x", "ctrl+y")
        await pilot.press("escape", "escape")
        await finished(pilot, app)
        await pilot.press("ctrl+f")
        pattern = _bar(app).pattern
        assert pattern is not None
        hits = find_hits(app.editor.document.lines, pattern)
        await wait_until(pilot, lambda: app.editor.found.hits == hits)
        assert hits and _count(app).endswith(f"of {len(hits):,}")


async def test_palette_help_and_keymap_reach_the_find_bar(tmp_path: Path) -> None:
    from tui import bindings
    from tui import keymap_check as keymap
    from tui.commands import quillpen_commands
    from tui.screens.help import binding_rows

    path = tmp_path / "story.txt"
    path.write_text(STORY, encoding="utf-8")
    app = make_app(path, None, keymap={"editor.find": "f11"})
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f11")  # moved by [keymap]
        await wait_until(pilot, lambda: app.screen.query(FindBar) and _bar(app).display)
        await pilot.press("escape")
        commands = {c.title: c.callback for c in quillpen_commands(app)}
        commands["Go to line…"]()
        await wait_until(pilot, lambda: _bar(app).display and _bar(app).mode == "goto")
        commands["Replace…"]()
        await wait_until(pilot, lambda: _bar(app).has_class("-replace"))
    rows = binding_rows(bindings.help_groups(), {})
    found = {(keys, binding_id) for where, keys, _, binding_id in rows if where == "Find"}
    assert {("Ctrl+F", "editor.find"), ("Ctrl+\\", "editor.replace")} <= found
    assert ("Ctrl+G", "editor.goto") in found and ("Ctrl+Y", "find.replace_all") in found
    remap = {"editor.goto": "ctrl+e", "find.case": "alt+c"}
    assert keymap.problems(remap, bindings.contexts()) == []
    clash = keymap.problems({"find.case": "ctrl+r"}, bindings.contexts())
    assert clash and "find bar" in clash[0]


async def test_replacing_generated_words_makes_them_the_writers_in_the_branch_tree(
    tmp_path: Path, tiny_gguf: Path
) -> None:
    from tests.support.helpers import continued

    app = make_app(tmp_path / "b.md", tiny_gguf, continue_tokens=30)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, app)
        editor = app.editor
        await pilot.press(*"Once")
        await continued(pilot, app, "tab")
        generated = editor.text[len("Once") :]
        word = next(w for w in generated.split() if w.isalpha() and len(w) > 1)
        model_node = editor.branches.tree.node_for(editor.text)
        assert model_node.source == "model"
        await pilot.press("ctrl+backslash")
        await wait_until(pilot, lambda: app.screen.query(FindBar) and _bar(app).display)
        bar = _bar(app)
        bar.find_input.value = word
        await wait_until(pilot, lambda: bool(bar.hits))
        bar.replace_input.value = "QUILL"
        bar.replace_input.focus()
        await pilot.press("ctrl+y")
        await wait_until(pilot, lambda: "QUILL" in editor.text)
        for start, end in editor.generated_ranges():  # no mark covers a replaced span
            assert "QUILL" not in editor.text[start:end]
        assert editor.generated_ranges(), "the rest of the continuation stays generated"
        node = editor.branches.tree.node_for(editor.text)
        assert node.source == "writer" and node.id != model_node.id
        assert "QUILL" in node.text
