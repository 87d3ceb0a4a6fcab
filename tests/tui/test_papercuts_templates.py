"""Templates write only what you asked for: few-shot examples go into the prompt, and a template
whose model is missing writes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from models.engine_client import GenerateRequest
from tests.support.helpers import wait_until
from tui.app import QuillpenApp
from tui.config import Settings
from tui.templates import load_builtin, load_file, render
from tui.widgets.templates import TemplatePane


def _template(stem: str) -> Any:
    return next(t for t in load_builtin() if t.source.stem == stem)


async def test_the_limerick_writes_your_line_and_shows_lear_to_the_model_only(
    tmp_path: Path, tiny_gguf: Path, submitted: list[Any]
) -> None:
    limerick = _template("limerick")
    values = {"first_line": "A poet who lived by the sea"}
    app = QuillpenApp(tmp_path / "l.md", model=str(tiny_gguf), settings=Settings())
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: app.model_name is not None, 30)
        text, examples = render(limerick, values), render(limerick, values, limerick.examples)
        app.panes.templates.post_message(TemplatePane.Use(text, limerick, examples))
        await wait_until(pilot, lambda: bool(submitted))
        assert app.editor.text.startswith("A poet who lived by the sea\n")
        assert "Nonsense" not in app.editor.text and "Old Man" not in app.editor.text
        request: GenerateRequest = submitted[0]
        prompt = request.prompt.text  # type: ignore[union-attr]
        assert prompt.startswith("A Book of Nonsense")
        assert prompt.endswith("A poet who lived by the sea\n")


@pytest.mark.parametrize("stem", ["limerick", "haiku", "fable", "qa", "sonnet_opening"])
def test_builtin_examples_are_not_in_the_body(stem: str) -> None:
    template = _template(stem)
    assert template.examples.strip()
    assert len(render(template)) < len(render(template, None, template.examples))


async def test_a_template_without_its_model_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "draft.md"
    path.write_text("My own draft.")
    poem = _template("zh_modern_poem")
    app = QuillpenApp(path, settings=Settings())
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: app.editor.text == "My own draft.")
        app.panes.templates.post_message(TemplatePane.Use(render(poem), poem))
        await wait_until(pilot, lambda: bool(app._notifications))
        await pilot.pause()
        assert app.editor.text == "My own draft."  # no 《雨巷》
        assert any("gpt2-chinese" in n.message for n in app._notifications)


def test_examples_may_only_use_declared_fields(tmp_path: Path) -> None:
    from tui.templates import TemplateError

    path = tmp_path / "bad.toml"
    path.write_text(
        'title = "T"\ndescription = ""\ncategory = "poem"\npreset = "poetic"\n'
        'max_tokens = 10\nexamples = "{nope}"\nbody = "x"\n'
    )
    with pytest.raises((TemplateError, ValueError), match="nope"):
        load_file(path)
