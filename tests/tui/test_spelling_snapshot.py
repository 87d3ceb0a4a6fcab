"""SVG snapshot of the spelling underline, on the writer's text and on generated text (which
stays cyan and italic under it); a CJK line is not checked.

Update after an intended change of the look with::

    uv run pytest tests/tui/test_spelling_snapshot.py --snapshot-update

and look at the SVG in ``tests/tui/__snapshots__/test_spelling_snapshot/`` before committing.
"""

from __future__ import annotations

from pathlib import Path

import pytest_textual_snapshot
from textual.pilot import Pilot
from textual.widgets import TextArea

from tests.support.helpers import wait_until
from tui.app import QuillpenApp
from tui.config import Settings
from tui.screens.main import MainScreen

if pytest_textual_snapshot.SVGImageExtension.file_extension != "svg":  # (see test_snapshots)
    pytest_textual_snapshot.SVGImageExtension.file_extension = "svg"

DRAFT = """\
The keeper wrote in his logbok each night,
and the sea answred him in its own slow hand.
灯塔守护者 wrote 日记 by the lamp.
"""
GENERATED = (DRAFT.index("and the sea"), DRAFT.index("hand.") + len("hand."))


def test_spelling_underline(snap_compare: object, tmp_path: Path) -> None:
    path = tmp_path / "keeper.md"
    path.write_text(DRAFT, encoding="utf-8")

    async def run_before(pilot: Pilot[object]) -> None:
        app = pilot.app
        assert isinstance(app, QuillpenApp)
        app.animation_level = "none"
        await wait_until(pilot, lambda: app.editor.text == DRAFT)
        await wait_until(pilot, lambda: app.status.state == "no model")
        main = app.screen_stack[0]
        assert isinstance(main, MainScreen)
        await wait_until(pilot, lambda: getattr(main, "spelling", None) is not None)
        await wait_until(pilot, lambda: main.spelling.last_pass is not None)
        assert main.spelling.last_pass[1] == 2  # logbok, answred
        app.editor.restore_marks([GENERATED])
        app.editor.move_cursor((0, 0))
        for area in app.query(TextArea):
            area.cursor_blink = False
        await pilot.pause()
        app.clear_notifications()
        await pilot.pause()

    app = QuillpenApp(path, settings=Settings())
    assert snap_compare(app, terminal_size=(80, 12), run_before=run_before)  # type: ignore[operator]
