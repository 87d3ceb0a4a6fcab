"""F6 when a server cannot write every alternative: what was written stays, and can be picked.

The loopback fault server plays llama-server (2 slots): its cache fills in the first request, the
alternatives are written again one at a time, and one of those fails outright.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.faultserver import WORDS, FaultServer
from tests.support.helpers import wait_until
from tui.app import QuillpenApp
from tui.config import Settings
from tui.screens.alternatives import AlternativesScreen


async def test_an_alternative_cut_short_keeps_its_text(tmp_path: Path) -> None:
    with FaultServer("llama.cpp") as server:
        app = QuillpenApp(tmp_path / "s.md", engine=server.url, settings=Settings())
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_until(pilot, lambda: app.model_name is not None, 30)
            await pilot.press(*"Rain")
            # Two at once: the cache is full after two words; the third alone is fine; then
            # the first, written alone, fails; the second, alone, is fine.
            server.plan("full", "ok", "500", "ok")
            await pilot.press("f6")
            await wait_until(pilot, lambda: isinstance(app.screen, AlternativesScreen))
            screen = app.screen
            assert isinstance(screen, AlternativesScreen)
            await wait_until(pilot, lambda: len(screen.done) == 3, 20)
            assert screen.texts[0] == "".join(WORDS[:2]) and "cut short" in screen.failed[0]
            assert 1 not in screen.failed and 2 not in screen.failed
            notices = [n.message for n in app._notifications]
            assert sum("one after another" in m for m in notices) == 1  # said once
            await pilot.press("1")  # what it wrote can still be inserted
            await wait_until(pilot, lambda: app.editor.text == "Rain" + "".join(WORDS[:2]))
