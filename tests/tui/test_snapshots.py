"""SVG snapshots of the main screens at 80x24 (narrow: one pane) and 160x48 (wide: all panes).

Update after an intended change of the look with::

    uv run pytest tests/tui/test_snapshots.py --snapshot-update

and look at the new SVGs in ``tests/tui/__snapshots__/test_snapshots/`` before committing them.

Every snapshot runs without a model (the autouse ``user_dirs`` fixture gives each test empty
private directories), so the status bar says "no model (F5)". What would make a screenshot
differ between runs is frozen in ``_settle``/``_freeze``: the start-up toast is cleared,
animations are off (the models screen's indeterminate progress bar otherwise moves with the
clock) and no cursor blinks. All interaction happens in ``run_before`` (not ``press=``) so that
the freezing comes after the last key.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
import pytest_textual_snapshot
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static, TextArea

from tests.support.helpers import wait_until
from tui.app import QuillpenApp
from tui.config import Settings
from tui.screens.help import HelpScreen
from tui.screens.main import MainScreen
from tui.screens.models import ModelsScreen

# pytest-textual-snapshot 1.0 names its extension with syrupy 4's ``_file_extension``; syrupy 5+
# reads ``file_extension``, so the snapshots would be saved as ``.raw``. Keep them ``.svg`` (a
# no-op once the plugin sets the new name itself).
if pytest_textual_snapshot.SVGImageExtension.file_extension != "svg":
    pytest_textual_snapshot.SVGImageExtension.file_extension = "svg"

SIZES = {"80x24": (80, 24), "160x48": (160, 48)}

POEM = """\
# The Lighthouse Keeper

The lamp goes round, the lamp goes round,
it counts the ships it never found;
the gulls lie folded on the sound,
and fog comes walking, low, to ground.

He winds the clock, he trims the wick,
the night is long, the glass is thick;
he hears the tide's slow arithmetic,
and writes it down, and writes it quick.
"""

SnapCompare = Callable[..., bool]
RunBefore = Callable[[Pilot[object]], Awaitable[None]]


def _app(tmp_path: Path) -> QuillpenApp:
    """The app on a fixed file name (only the name is shown), no model anywhere."""
    path = tmp_path / "poem.md"
    path.write_text(POEM, encoding="utf-8")
    return QuillpenApp(path, settings=Settings(spelling=False))  # (test_spelling_snapshot.py)


async def _settle(pilot: Pilot[object]) -> QuillpenApp:
    """Wait for start-up (document shown, model lookup done) and drop its toast."""
    app = pilot.app
    assert isinstance(app, QuillpenApp)
    app.animation_level = "none"
    await wait_until(pilot, lambda: app.editor.text == POEM and app.status.words > 0)
    await wait_until(pilot, lambda: app.status.state == "no model")
    markdown = app.editor.markdown  # (a .md file: its highlighting loads after the first frame)
    await wait_until(pilot, lambda: not markdown.enabled or markdown._grammar is not None)
    await pilot.pause()
    app.clear_notifications()
    await pilot.pause()
    return app


async def _freeze(pilot: Pilot[object]) -> None:
    """Stop every cursor blinking (after the last focus change) and drop any toast."""
    app = pilot.app
    await pilot.pause()
    for screen in app.screen_stack:
        for area in screen.query(TextArea):
            area.cursor_blink = False
        for field in screen.query(Input):
            field.cursor_blink = False
    app.clear_notifications()
    await pilot.pause()


def _main_screen() -> RunBefore:
    async def run_before(pilot: Pilot[object]) -> None:
        app = await _settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert app.editor.has_focus
        await _freeze(pilot)

    return run_before


def _help_screen() -> RunBefore:
    async def run_before(pilot: Pilot[object]) -> None:
        app = await _settle(pilot)
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await _freeze(pilot)

    return run_before


def _haiku_template() -> RunBefore:
    async def run_before(pilot: Pilot[object]) -> None:
        app = await _settle(pilot)
        await pilot.press("f4")  # narrow: shows the pane; wide: focuses it
        option_list = app.panes.templates.query_one("#tp-list", OptionList)
        await wait_until(pilot, lambda: option_list.has_focus)
        index = next(i for i, t in enumerate(app.panes.templates.templates) if t.title == "Haiku")
        option_list.highlighted = option_list.get_option_index(f"tp-{index}")
        await wait_until(
            pilot,
            lambda: (
                app.panes.templates.current is not None
                and app.panes.templates.current.title == "Haiku"
                and "topic" in app.panes.templates.values()
            ),
        )
        assert app.panes.templates.values() == {"topic": "Autumn Rain"}
        await _freeze(pilot)

    return run_before


def _models_screen() -> RunBefore:
    async def run_before(pilot: Pilot[object]) -> None:
        app = await _settle(pilot)
        await pilot.press("f5")
        await wait_until(pilot, lambda: isinstance(app.screen, ModelsScreen))
        screen = app.screen
        assert isinstance(screen, ModelsScreen)
        active = screen.query_one("#active-model", Static)
        await wait_until(pilot, lambda: "Nothing downloaded yet" in str(active.content))
        await _freeze(pilot)

    return run_before


SCREENS = {
    "main": _main_screen,
    "help": _help_screen,
    "templates-haiku": _haiku_template,
    "models": _models_screen,
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("screen", SCREENS)
def test_snapshot(snap_compare: SnapCompare, tmp_path: Path, screen: str, size: str) -> None:
    assert snap_compare(_app(tmp_path), terminal_size=SIZES[size], run_before=SCREENS[screen]())


JINGYESI = """\
# 静夜思

床前明月光，疑是地上霜。
举头望明月，低头思故乡。

Li Bai（李白）, 701–762: a quatrain of five-character lines, mixed here with Latin text.
"""


def test_snapshot_chinese_document(snap_compare: SnapCompare, tmp_path: Path) -> None:
    """A Chinese poem at 80×24: wide characters in their cells, 字 counted in the status bar."""
    path = tmp_path / "静夜思.md"
    path.write_text(JINGYESI, encoding="utf-8")

    async def run_before(pilot: Pilot[object]) -> None:
        app = pilot.app
        assert isinstance(app, QuillpenApp)
        app.animation_level = "none"
        await wait_until(pilot, lambda: app.editor.text == JINGYESI and app.status.words > 0)
        await wait_until(pilot, lambda: app.status.state == "no model")
        assert app.status.word_unit == "字"
        app.editor.move_cursor((2, 5))  # after 光, before the full-width comma
        await _freeze(pilot)

    app = QuillpenApp(path, settings=Settings(spelling=False))
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
