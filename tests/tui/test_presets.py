"""Sampler presets with stop sequences: built in, changed or added in presets.toml, edited in
the app (Presets…), and used by Tab, F6 and templates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import Input, TextArea

from models.sampling import PRESETS
from tests.support.helpers import continued, wait_until
from tui.app import QuillpenApp
from tui.config import Settings
from tui.presets import load_presets, presets_path
from tui.screens.presets import PresetsScreen, parse_stops, stops_text


def test_presets_toml_changes_and_adds_presets_and_says_what_is_wrong() -> None:
    path = presets_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '[poetic]\ntemperature = 1.1\nstop = ["\\n\\n"]\n\n'
        "[noir]\ntemperature = 0.7\ntop_k = 20\n\n"
        '[broken]\ntop_p = "high"\n',
        encoding="utf-8",
    )
    presets, warnings = load_presets()
    assert presets["poetic"].sampler.temperature == 1.1
    assert presets["poetic"].sampler.top_k == PRESETS["poetic"].top_k  # the rest kept
    assert presets["poetic"].stop == ("\n\n",)
    assert presets["noir"].sampler.top_k == 20 and "broken" not in presets
    assert warnings == ["presets.toml: [broken]: 'top_p' is not a sampler number; ignored"]
    assert parse_stops(stops_text(("\n\nTHE END", "a\\b"))) == ("\n\nTHE END", "a\\b")


async def test_edit_save_and_write_with_a_preset(
    tmp_path: Path, tiny_gguf: Path, submitted: list[Any]
) -> None:
    app = QuillpenApp(tmp_path / "s.md", model=str(tiny_gguf), settings=Settings(continue_tokens=4))
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_until(pilot, lambda: app.model_name is not None, 20)
        app.editor.action_presets()
        await wait_until(pilot, lambda: isinstance(app.screen, PresetsScreen))
        screen = app.screen
        assert isinstance(screen, PresetsScreen)
        field = "#p-temperature"
        await wait_until(
            pilot, lambda: bool(screen.query(field)) and screen.query_one(field, Input).value
        )
        screen.query_one("#p-temperature", Input).value = "0.33"
        screen.query_one("#p-stop", TextArea).text = "\\n\\nEND\nzzz"
        await pilot.click("#save")
        await wait_until(pilot, lambda: not isinstance(app.screen, PresetsScreen))
        assert "temperature = 0.33" in presets_path().read_text(encoding="utf-8")
        await pilot.press(*"Dusk")
        await continued(pilot, app, "tab")
        request = submitted[-1]
        assert request.settings.temperature == 0.33
        assert set(request.stop) >= {"\n\nEND", "zzz"}
    again = QuillpenApp(tmp_path / "t.md", settings=Settings(preset="balanced"))
    async with again.run_test() as pilot:
        assert again.editor.tab_preset().sampler.temperature == 0.33  # saved: in the file
