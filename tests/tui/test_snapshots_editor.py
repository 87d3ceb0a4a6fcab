"""SVG snapshots of the editor's writer tools at 80x24: the find bar, Markdown highlighting.

Update after an intended change of the look with::

    uv run pytest tests/tui/test_snapshots_editor.py --snapshot-update

and look at the new SVGs in ``tests/tui/__snapshots__/test_snapshots_editor/`` first.
"""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot

from tests.support.helpers import wait_until
from tests.tui.test_snapshots import POEM, SnapCompare, _freeze, _settle
from tui.app import QuillpenApp
from tui.config import Settings
from tui.widgets.find_bar import FindBar

PROSE = """\
# The Keeper

The keeper climbed the *narrow* stairs; the **lamp** was cold.

> The sea, he wrote, keeps what the sea is given.

- oil for the lamp
- a new wick
"""


def _app(tmp_path: Path, text: str) -> QuillpenApp:
    path = tmp_path / "poem.md"
    path.write_text(text, encoding="utf-8")
    return QuillpenApp(path, settings=Settings())


async def _highlighted(pilot: Pilot[object]) -> QuillpenApp:
    app = pilot.app
    assert isinstance(app, QuillpenApp)
    await wait_until(pilot, lambda: app.editor.markdown._grammar is not None)
    return app


def test_snapshot_find_bar(snap_compare: SnapCompare, tmp_path: Path) -> None:
    async def run_before(pilot: Pilot[object]) -> None:
        app = await _settle(pilot)
        await _highlighted(pilot)
        app.editor.move_cursor((0, 0))
        await pilot.press("ctrl+f", *"lamp")
        bar = app.screen.query_one(FindBar)
        await wait_until(pilot, lambda: len(bar.hits) == 2 and bar.current == 0)
        await pilot.press("down")
        await _freeze(pilot)

    assert snap_compare(_app(tmp_path, POEM), terminal_size=(80, 24), run_before=run_before)


def test_snapshot_replace_bar_with_a_bad_regex(snap_compare: SnapCompare, tmp_path: Path) -> None:
    async def run_before(pilot: Pilot[object]) -> None:
        app = await _settle(pilot)
        await _highlighted(pilot)
        await pilot.press("ctrl+backslash", "ctrl+r", *"goes (round")
        bar = app.screen.query_one(FindBar)
        await wait_until(pilot, lambda: bar.pattern is None and bar.find_input.value)
        await _freeze(pilot)

    assert snap_compare(_app(tmp_path, POEM), terminal_size=(80, 24), run_before=run_before)


def test_snapshot_markdown_under_generated_text(snap_compare: SnapCompare, tmp_path: Path) -> None:
    async def run_before(pilot: Pilot[object]) -> None:
        app = pilot.app
        assert isinstance(app, QuillpenApp)
        app.animation_level = "none"
        await wait_until(pilot, lambda: app.editor.text == PROSE and app.status.state == "no model")
        await _highlighted(pilot)
        start = PROSE.index("the **lamp**")
        app.editor.restore_marks([(start, start + len("the **lamp** was cold."))])
        await _freeze(pilot)

    assert snap_compare(_app(tmp_path, PROSE), terminal_size=(80, 24), run_before=run_before)
