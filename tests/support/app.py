"""Driving the real app in tests: make it, wait for its model, wait for a generation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.helpers import wait_until
from tui.app import QuillpenApp
from tui.config import Settings

POEM = "The moon is a lantern,\nthe sea a slow drum.\n"


def make_app(path: Path | None, model: Path | str | None, **settings: Any) -> QuillpenApp:
    return QuillpenApp(path, model=str(model) if model else None, settings=Settings(**settings))


async def ready(pilot: Any, app: QuillpenApp) -> None:
    await wait_until(pilot, lambda: app.model_name is not None, 20)


async def finished(pilot: Any, app: QuillpenApp) -> None:
    await wait_until(pilot, lambda: not app.editor.generating and not app.engine.busy, 20)


async def streaming(pilot: Any, app: QuillpenApp) -> str:
    """Type "Dusk" and Tab: returns once text streams in (slowed: ~6 s for 300 tokens)."""
    await ready(pilot, app)
    await pilot.press(*"Dusk")
    before = app.editor.text
    await pilot.press("tab")
    await wait_until(pilot, lambda: len(app.editor.text) > 10)
    return before
