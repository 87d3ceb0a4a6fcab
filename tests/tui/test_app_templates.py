"""Templates in the app: the opening written, continued with the model the template names."""

from __future__ import annotations

from pathlib import Path

from tests.support.app import finished, make_app, ready
from tests.support.helpers import wait_until
from tui.screens.main import MainScreen


async def test_template_use_writes_opening_and_generates(tmp_path: Path, tiny_gguf: Path) -> None:
    app = make_app(tmp_path / "t.md", tiny_gguf)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, app)
        haiku = next(t for t in app.panes.templates.templates if t.title == "Haiku")  # type: ignore[attr-defined]
        await app.panes.templates.show(haiku)  # type: ignore[attr-defined]
        await pilot.press("f4")
        await pilot.press("ctrl+g")
        await wait_until(
            pilot, lambda: "autumn" in app.editor.text.lower() or len(app.editor.text) > 20
        )
        await finished(pilot, app)
        assert isinstance(app.screen, MainScreen) and app.screen.pane == "editor"
        assert app.editor.marks  # the continuation after the opening is marked


async def test_a_template_loads_the_model_it_is_written_for(
    tmp_path: Path, tiny_gguf: Path
) -> None:
    import dataclasses
    import shutil

    other = shutil.copy(tiny_gguf, tmp_path / "other.gguf")

    from tui.templates import load_builtin, render
    from tui.widgets.templates import TemplatePane

    template = dataclasses.replace(load_builtin()[0], model=str(other), max_tokens=8)
    app = make_app(tmp_path / "t.md", tiny_gguf)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, app)
        assert app.model.path is not None and app.model.path.samefile(tiny_gguf)
        app.panes.templates.post_message(TemplatePane.Use(render(template), template))
        await wait_until(
            pilot, lambda: app.model.path is not None and app.model.path.samefile(other), 30
        )
        await wait_until(pilot, lambda: app.editor.last_stats.generated_tokens > 0, 30)
        assert render(template).strip() in app.editor.text


async def test_a_template_for_a_model_not_downloaded_says_how_to_get_it(
    tmp_path: Path, tiny_gguf: Path
) -> None:
    from tui.templates import load_builtin, render
    from tui.widgets.templates import TemplatePane

    template = next(t for t in load_builtin() if t.model == "gpt2-chinese-poem")
    app = make_app(tmp_path / "t.md", tiny_gguf)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, app)
        app.panes.templates.post_message(TemplatePane.Use(render(template), template))

        def told() -> list[str]:
            return [n.message for n in app._notifications if "models pull" in n.message]

        await wait_until(pilot, told)
        assert "gpt2-chinese-poem" in told()[0]
        assert render(template) not in app.editor.text and not app.editor.generating  # (#21)
        assert app.model.path is not None and app.model.path.samefile(tiny_gguf)  # kept
