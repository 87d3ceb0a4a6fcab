"""F5 → "Teach a voice…": pick texts, a base and minutes; training runs in a child process
while the editor answers; progress in the models screen and the status bar; then the app
offers the new voice and switches to it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Input, Static

from models.voice.place import read_meta
from tests.support.helpers import laid_out, wait_until
from tests.support.tinymodel import make_checkpoint
from tests.support.voice import write_poems
from tui import voice_job
from tui.app import QuillpenApp
from tui.config import Settings
from tui.screens.dialogs import Choice
from tui.screens.models import ModelsScreen
from tui.screens.teach_voice import TeachVoiceScreen

SIZE = (100, 44)
TINY = {"quant": "F32", "window": 32, "lr": 3e-3, "epochs": 6, "eval_every": 8}


async def _type(pilot: Any, selector: str, text: str) -> None:
    field = pilot.app.screen.query_one(selector, Input)
    field.value = ""
    field.focus()
    await pilot.press(*text)


async def click(pilot: Any, app: Any, selector: str) -> None:
    """Click once the widget has its place on the screen (a click before lands nowhere)."""
    await wait_until(pilot, lambda: laid_out(app.screen, selector))
    await pilot.click(selector)


async def test_teach_a_voice_from_f5_then_use_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = make_checkpoint(tmp_path / "base", n_embd=32, n_layer=2, n_head=2, n_ctx=64)
    poems = write_poems(tmp_path / "poems")
    monkeypatch.setattr(TeachVoiceScreen, "options", TINY)
    app = QuillpenApp(None, settings=Settings())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f5")
        await wait_until(pilot, lambda: isinstance(app.screen, ModelsScreen))
        models = app.screen
        await click(pilot, app, "#teach-voice")
        await wait_until(pilot, lambda: isinstance(app.screen, TeachVoiceScreen))
        await _type(pilot, "#voice-name", "foxes")
        await _type(pilot, "#voice-paths", str(poems))
        await _type(pilot, "#voice-base-path", str(base))
        await _type(pilot, "#voice-minutes", "5")
        await click(pilot, app, "#voice-start")
        await wait_until(pilot, lambda: app.screen is models)
        job = voice_job.current
        assert job is not None and job.running
        await wait_until(pilot, lambda: any("step" in t for t in job.shown), timeout=120)
        assert "foxes" in str(models.query_one("#voice-status", Static).render())
        if job.running:  # (a quiet machine may be done already)
            assert "voice: foxes" in str(app.status.render())
            await pilot.press("escape")  # the editor answers while it trains
            await pilot.press(*"The fox")
            assert app.editor.text == "The fox"
        await wait_until(pilot, lambda: isinstance(app.screen, Choice), timeout=180)
        assert job.error is None and read_meta("foxes") is not None
        await click(pilot, app, "#use")
        await wait_until(pilot, lambda: app.model_name is not None, timeout=30)
        assert "foxes" in str(app.model.path)
        await pilot.press("f5")  # the voice is on the list like any model, with its base
        await wait_until(pilot, lambda: isinstance(app.screen, ModelsScreen))
        table = app.screen.query_one(DataTable)
        assert str(table.get_row_at(0)[0]) == f"foxes (voice of {base})"


async def test_bad_choices_are_messages(tmp_path: Path) -> None:
    app = QuillpenApp(None, settings=Settings())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f5")
        await wait_until(pilot, lambda: isinstance(app.screen, ModelsScreen))
        await click(pilot, app, "#teach-voice")
        await wait_until(pilot, lambda: isinstance(app.screen, TeachVoiceScreen))
        await _type(pilot, "#voice-name", "v")
        await _type(pilot, "#voice-paths", str(tmp_path / "missing"))
        await click(pilot, app, "#voice-start")
        await pilot.pause()
        assert isinstance(app.screen, TeachVoiceScreen)  # still open, with a message
        assert any("no such file or folder" in str(n.message) for n in app._notifications)


async def test_stop_teaching_keeps_the_best_so_far(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = make_checkpoint(tmp_path / "base", n_embd=32, n_layer=2, n_head=2, n_ctx=64)
    poems = write_poems(tmp_path / "poems")
    monkeypatch.setattr(TeachVoiceScreen, "options", {**TINY, "epochs": 50})
    app = QuillpenApp(None, settings=Settings())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f5")
        await wait_until(pilot, lambda: isinstance(app.screen, ModelsScreen))
        models = app.screen
        await click(pilot, app, "#teach-voice")
        await wait_until(pilot, lambda: isinstance(app.screen, TeachVoiceScreen))
        await _type(pilot, "#voice-name", "owls")
        await _type(pilot, "#voice-paths", str(poems))
        await _type(pilot, "#voice-base-path", str(base))
        await click(pilot, app, "#voice-start")
        await wait_until(pilot, lambda: app.screen is models)
        job = voice_job.current
        assert job is not None
        await wait_until(pilot, lambda: "held-out" in job.status, timeout=120)
        await click(pilot, app, "#stop-voice")
        await wait_until(pilot, lambda: isinstance(app.screen, Choice), timeout=120)
        meta = read_meta("owls")
        assert meta is not None and meta["stopped"] == "interrupted"
        assert meta["steps"] < 50 * 20  # well before the 50 epochs
        await click(pilot, app, "#later")
