"""What the model wrote is remembered with the saved document (never inside it), shown again
when it reopens, and set off in an export (app and CLI) with the document's counts."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.sampling import SamplerSettings
from tests.support.helpers import continued, wait_until
from tui import cli
from tui.app import QuillpenApp
from tui.config import Settings
from tui.export import marked


def test_marks_wrap_each_line_of_a_generated_range() -> None:
    text = "I wrote this. The model\nwrote this.\nMe again."
    start, end = text.index("The model"), text.index("\nMe")
    assert marked(text, [(start, end)], "asterisks") == (
        "I wrote this. *The model*\n*wrote this.*\nMe again."
    )
    assert marked(text, [(start, end)], "brackets").count("[[") == 2
    assert marked(text, [(start, end)], "none") == text


async def test_generated_text_is_marked_again_after_reopening_and_exported(
    tmp_path: Path, tiny_gguf: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "story.md"
    settings = Settings(continue_tokens=8, sampler=SamplerSettings(seed=2))
    app = QuillpenApp(path, model=str(tiny_gguf), settings=settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.model_name is not None, 20)
        await pilot.press(*"The storm came")
        await continued(pilot, app, "tab")
        written = app.editor.text
        generated = written[len("The storm came") :]
        assert generated and app.editor.generated_ranges() == [
            (len("The storm came"), len(written))
        ]
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: path.exists() and not app.session.dirty)
    assert path.read_text(encoding="utf-8") == written  # no marks inside the document
    again = QuillpenApp(path, settings=Settings())
    async with again.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: again.editor.text == written)
        assert again.editor.generated_ranges() == [(len("The storm came"), len(written))]
    assert cli.main(["export", str(path), "--mark", "brackets"]) == 0
    out = capsys.readouterr()
    assert out.out.startswith("The storm came[[" + generated.split("\n")[0])
    assert "words" in out.err and "characters" in out.err and "min read" in out.err
    path.write_text(written + " An edit elsewhere.", encoding="utf-8")  # marks no longer fit
    assert cli.main(["export", str(path), "--mark", "asterisks"]) == 0
    out = capsys.readouterr()
    assert "*" not in out.out and "no generated text is recorded" in out.err


async def test_export_from_the_palette_asks_where_and_how(tmp_path: Path) -> None:
    from tui.export_flow import export_document
    from tui.screens.dialogs import AskPath, Choice

    app = QuillpenApp(None, settings=Settings())
    target = tmp_path / "out.md"
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"Mine. ")
        app.editor.insert_generated("The model's.")
        app.session.run(export_document(app, app.editor.text, app.editor.generated_ranges()))
        await wait_until(pilot, lambda: isinstance(app.screen, AskPath))
        app.screen.query_one("Input").value = str(target)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, Choice))
        await pilot.click("#asterisks")
        await wait_until(pilot, target.exists)
        assert target.read_text(encoding="utf-8") == "Mine. *The model's.*"
        assert any("Exported" in n.message and "3 words" in n.message for n in app._notifications)
