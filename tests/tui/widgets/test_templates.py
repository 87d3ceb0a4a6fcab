"""Prompt templates: the loader, safe substitution, user templates, and the TemplatePane widget."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Button, Input, OptionList, Static, TextArea

from models.sampling import PRESETS
from tests.support.helpers import wait_until
from tui.templates import (
    CATEGORIES,
    Field,
    Template,
    TemplateError,
    load_all,
    load_builtin,
    load_file,
    load_user,
    parse_body,
    render,
)
from tui.widgets.templates import CSS_FILE, USE_BINDING_ID, USE_KEY, TemplatePane

EXPECTED_BUILTINS = {
    "story_opening",
    "fable",
    "free_verse",
    "haiku",
    "limerick",
    "sonnet_opening",
    "song_lyrics",
    "screenplay",
    "customer_service",
    "qa",
    "summary",
    "lesson",
    "zh_jueju5",
    "zh_jueju7",
    "zh_modern_poem",
    "zh_lyrics",
    "zh_story",
}

GOOD = '''
title = "Recipe card"
description = "A recipe: title, then the ingredients."
category = "prose"
preset = "focused"
max_tokens = 100
stop = ["\\n\\n\\n"]
body = """
{dish}

Serves {serves}.

Ingredients:
"""

[[fields]]
name = "dish"
label = "Dish"
default = "Lemon cake"

[[fields]]
name = "serves"
label = "Serves"
default = "4"
'''


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def make(body: str, fields: list[Field] | None = None) -> Template:
    return Template(
        title="T",
        description="",
        category="prose",
        preset="balanced",
        max_tokens=10,
        stop=[],
        body=body,
        fields=fields if fields is not None else [Field("a", "A", "x")],
        source=Path("t.toml"),
        builtin=False,
    )


def template_file(body: str, fields: str = "") -> str:
    return (
        'title = "T"\ndescription = "d"\ncategory = "poem"\npreset = "poetic"\n'
        f"max_tokens = 20\nbody = '''{body}'''\n{fields}"
    )


FIELD_A = '[[fields]]\nname = "a"\nlabel = "A"\ndefault = "x"\n'


# Built-ins -------------------------------------------------------------------------------------


def test_every_builtin_loads_and_renders() -> None:
    templates = load_builtin()
    assert {t.source.stem for t in templates} == EXPECTED_BUILTINS
    for t in templates:
        assert t.builtin and t.key == f"builtin:{t.source.stem}"
        assert t.category in CATEGORIES
        assert t.preset in PRESETS
        assert 1 <= t.max_tokens <= 1024
        assert t.title and t.description
        text = render(t, {})
        assert "{" not in text or "}" not in text, t.key  # every placeholder filled
        for f in t.fields:
            assert f.default.strip(), f"{t.key}: field {f.name} has no default"
            assert f.label
            assert f.default.strip() in text, f"{t.key}: default of {f.name} not rendered"
        # A prompt ending with a space tokenizes badly for GPT-2.
        assert not text.endswith(" "), t.key


def test_builtins_are_ordered_by_category() -> None:
    ranks = [CATEGORIES.index(t.category) for t in load_builtin()]
    assert ranks == sorted(ranks)
    assert set(ranks) == set(range(len(CATEGORIES)))


def test_builtin_bodies_are_document_openings_not_instructions() -> None:
    by_stem = {t.source.stem: t for t in load_builtin()}
    assert render(by_stem["summary"], {}).endswith("TL;DR:")
    qa = render(by_stem["qa"], {"question": "Why do cats purr?"})
    assert qa.endswith("Q: Why do cats purr?\nA:")
    assert by_stem["qa"].examples.count("\nA: ") >= 2  # few-shot examples, for the prompt
    assert "\nQ:" in by_stem["qa"].stop
    haiku = render(by_stem["haiku"], {"topic": "Moonlit Snow"})
    assert haiku.endswith("Moonlit Snow\n\n")
    assert "Winter Morning" in by_stem["haiku"].examples  # an example, in the prompt only
    assert render(by_stem["customer_service"], {}).endswith("\nAgent:")
    assert render(by_stem["screenplay"], {}).rstrip().endswith("DANIEL")
    for t in by_stem.values():
        first = render(t, {}).lstrip().split("\n", 1)[0].lower()
        assert not re.match(r"(write|please|generate|compose|create|you are)\b", first), t.key


def test_builtin_multiline_fields() -> None:
    by_stem = {t.source.stem: t for t in load_builtin()}
    assert by_stem["summary"].field("text").multiline
    assert not by_stem["haiku"].field("topic").multiline


# Safe substitution -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "{a.__globals__}",
        "{a.b}",
        "{a[0]}",
        "{a!r}",
        "{a:>999999}",
        "{}",
        "{0}",
        "{ a }",
        "{A}",
        "oops {a",
        "oops } there",
        "{a}}",
        "{{a}",
    ],
)
def test_parse_body_rejects_hostile_or_broken_placeholders(body: str) -> None:
    with pytest.raises(ValueError):
        parse_body(body)


@pytest.mark.parametrize(
    "body",
    [
        "{__class__}",
        "{a.__globals__}",
        "{a[0]}",
        "{a!r}",
        "{a:>999999}",
        "{a.__class__.__mro__}",
    ],
)
def test_hostile_templates_are_rejected_at_load(tmp_path: Path, body: str) -> None:
    path = write(tmp_path, "evil.toml", template_file(body, FIELD_A))
    with pytest.raises(TemplateError) as info:
        load_file(path)
    assert info.value.path == path
    assert "placeholder" in info.value.message


def test_dunder_field_names_are_rejected(tmp_path: Path) -> None:
    fields = '[[fields]]\nname = "__class__"\nlabel = "X"\ndefault = "x"\n'
    path = write(tmp_path, "dunder.toml", template_file("{__class__}", fields))
    with pytest.raises(TemplateError, match="bad field name"):
        load_file(path)


def test_values_are_inserted_literally_never_re_expanded() -> None:
    t = make("<{a}|{b}>", [Field("a", "A", "x"), Field("b", "B", "SECRET")])
    assert render(t, {"a": "{b}", "b": "y"}) == "<{b}|y>"
    assert render(t, {"a": "{{b}}", "b": "{a.__class__}"}) == "<{{b}}|{a.__class__}>"
    assert render(t, {"a": "%(b)s $b ${b}"}) == "<%(b)s $b ${b}|SECRET>"


def test_double_braces_are_literal() -> None:
    t = make("{{x}} and {{{a}}} and }}{{", [Field("a", "A", "v")])
    assert render(t, {}) == "{x} and {v} and }{"


def test_missing_or_blank_values_take_the_default() -> None:
    t = make("{a}-{b}", [Field("a", "A", "one"), Field("b", "B", "two")])
    assert render(t, {"b": "2"}) == "one-2"
    assert render(t, {"a": "   ", "b": "\n"}) == "one-two"
    assert render(t, {"a": "  padded \n", "zzz": "ignored"}) == "padded-two"


def test_render_refuses_an_undeclared_placeholder() -> None:
    with pytest.raises(ValueError, match="no field"):
        render(make("{nope}"), {"nope": "x"})


# User templates --------------------------------------------------------------------------------


def test_missing_user_folder_is_empty(tmp_path: Path) -> None:
    assert load_user(tmp_path / "nothing-here") == ([], [])


def test_default_user_folder_is_under_config_dir(user_dirs: dict[str, Path]) -> None:
    folder = user_dirs["config"] / "quillpen" / "templates"
    write(folder, "recipe.toml", GOOD)
    templates, errors = load_user()
    assert errors == []
    assert [t.title for t in templates] == ["Recipe card"]
    assert templates[0].source == folder / "recipe.toml"


def test_user_templates_good_and_bad(tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    write(folder, "recipe.toml", GOOD)
    write(folder, "syntax.toml", 'title = "Broken\ndescription = "x"\n')
    write(folder, "unknown.toml", GOOD + 'colour = "blue"\n')
    write(folder, "orphan.toml", template_file("Dear {name},", FIELD_A))
    write(folder, "wrongtype.toml", GOOD.replace("max_tokens = 100", 'max_tokens = "lots"'))
    write(folder, "missing.toml", GOOD.replace('title = "Recipe card"\n', ""))
    write(folder, "preset.toml", GOOD.replace('preset = "focused"', 'preset = "spicy"'))
    write(folder, "badname.toml", GOOD.replace('name = "serves"', 'name = "Serves-2"'))
    write(folder, "notes.txt", "not a template")
    (folder / "binary.toml").write_bytes(b"\xff\xfe\x00junk")

    templates, errors = load_all(folder)

    assert [t.title for t in templates if not t.builtin] == ["Recipe card"]
    assert len([t for t in templates if t.builtin]) == len(EXPECTED_BUILTINS)
    assert templates[-1].key == "user:recipe"
    reasons = {e.path.name: e.message for e in errors}
    assert set(reasons) == {
        "syntax.toml",
        "unknown.toml",
        "orphan.toml",
        "wrongtype.toml",
        "missing.toml",
        "preset.toml",
        "badname.toml",
        "binary.toml",
    }
    assert "TOML syntax error" in reasons["syntax.toml"]
    assert "line 1" in reasons["syntax.toml"]
    assert "unknown key 'colour'" in reasons["unknown.toml"]
    assert "{name}" in reasons["orphan.toml"] and "no field" in reasons["orphan.toml"]
    assert "'max_tokens' must be an integer, not a string" in reasons["wrongtype.toml"]
    assert "missing key 'title'" in reasons["missing.toml"]
    assert "unknown preset 'spicy'" in reasons["preset.toml"]
    assert "bad field name 'Serves-2'" in reasons["badname.toml"]
    assert "UTF-8" in reasons["binary.toml"]
    for e in errors:
        assert str(e).startswith(e.path.name + ": ")


@pytest.mark.parametrize(
    ("mutation", "reason"),
    [
        (lambda s: s.replace("max_tokens = 100", "max_tokens = true"), "'max_tokens' must be"),
        (lambda s: s.replace("max_tokens = 100", "max_tokens = 0"), "between 1 and"),
        (lambda s: s.replace('stop = ["\\n\\n\\n"]', 'stop = "x"'), "'stop' must be an array"),
        (lambda s: s.replace('label = "Dish"', "label = 3"), "'label' in fields[0]"),
        (lambda s: s.replace('default = "4"', "default = 4"), "'default' in fields[1]"),
        (lambda s: s + "multiline = 1\n", "'multiline' in fields[1]"),
        (lambda s: s + 'hint = "x"\n', "unknown key 'hint' in fields[1]"),
        (lambda s: s.replace('name = "serves"', 'name = "dish"'), "duplicate field name"),
        (lambda s: s.replace('title = "Recipe card"', 'title = ""'), "'title' must not be"),
        (lambda s: s.replace('category = "prose"', "category = []"), "'category' must be"),
    ],
)
def test_more_bad_user_templates(tmp_path: Path, mutation, reason: str) -> None:  # type: ignore[no-untyped-def]
    write(tmp_path, "t.toml", mutation(GOOD))
    templates, errors = load_user(tmp_path)
    assert templates == []
    assert len(errors) == 1 and reason in errors[0].message, errors


def test_user_file_without_fields_or_stop_is_fine(tmp_path: Path) -> None:
    write(tmp_path, "plain.toml", template_file("Once upon a time"))
    [t], errors = load_user(tmp_path)
    assert errors == [] and t.fields == [] and t.stop == []
    assert render(t, {}) == "Once upon a time"


def test_optional_label_defaults_from_name(tmp_path: Path) -> None:
    write(tmp_path, "t.toml", template_file("{first_line}", '[[fields]]\nname = "first_line"\n'))
    [t], _ = load_user(tmp_path)
    assert t.fields == [Field("first_line", "First line", "", False)]


# The widget ------------------------------------------------------------------------------------


class _Host(App[None]):
    CSS_PATH = str(CSS_FILE)

    def __init__(self, pane: TemplatePane) -> None:
        super().__init__()
        self.pane = pane
        self.used: list[TemplatePane.Use] = []

    def compose(self) -> ComposeResult:
        yield self.pane

    def on_template_pane_use(self, message: TemplatePane.Use) -> None:
        self.used.append(message)


def _highlight(pane: TemplatePane, title: str) -> int:
    option_list = pane.query_one("#tp-list", OptionList)
    for index, option in enumerate(option_list.options):
        if option.id and pane.templates[int(option.id[3:])].title == title:
            assert title in str(option.prompt)
            return index
    raise AssertionError(f"{title!r} is not listed")


async def _move_to(pilot, pane: TemplatePane, title: str) -> None:  # type: ignore[no-untyped-def]
    """Arrow down the list to ``title`` with the keyboard."""
    option_list = pane.query_one("#tp-list", OptionList)
    target = _highlight(pane, title)
    option_list.focus()
    await pilot.pause()
    for _ in range(len(option_list.options)):
        if option_list.highlighted == target:
            break
        await pilot.press("down")
    await wait_until(pilot, lambda: pane.current is not None and pane.current.title == title, 5)


def test_binding_is_declared() -> None:
    [binding] = [b for b in TemplatePane.BINDINGS if getattr(b, "id", None) == USE_BINDING_ID]
    assert binding.key == USE_KEY == "ctrl+g"  # type: ignore[union-attr]
    assert USE_BINDING_ID == "templates.use"


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_pick_edit_and_use_with_keyboard(tmp_path: Path, size: tuple[int, int]) -> None:
    pane = TemplatePane(user_folder=tmp_path / "none")
    app = _Host(pane)
    async with app.run_test(size=size) as pilot:
        await wait_until(pilot, lambda: pane.current is not None)
        assert pane.current is not None and pane.current.category == "story"
        assert not pane.query_one("#tp-errors", Static).display

        await _move_to(pilot, pane, "Haiku")
        description = pane.query_one("#tp-description", Static)
        assert "5-7-5" in str(description.render())
        topic = pane.field_widget("topic")
        assert isinstance(topic, Input) and topic.value == "Autumn Rain"

        await pilot.press("enter")  # select: focus moves to the first field
        await wait_until(pilot, lambda: topic.has_focus)
        await pilot.press(*"Cherry Blossoms")  # the default is selected on focus: replaced
        assert topic.value == "Cherry Blossoms"
        await pilot.press("enter")  # Enter in the last field uses the template
        await wait_until(pilot, lambda: len(app.used) == 1)

        message = app.used[0]
        assert message.template.title == "Haiku"
        assert message.text.endswith("Cherry Blossoms\n\n")
        assert "Autumn Rain" not in message.text


async def test_use_key_and_button_and_multiline_field(tmp_path: Path) -> None:
    pane = TemplatePane(user_folder=tmp_path / "none")
    app = _Host(pane)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: pane.current is not None)
        await _move_to(pilot, pane, "Summary (TL;DR)")
        await pilot.press("enter")
        area = pane.field_widget("text")
        assert isinstance(area, TextArea)
        await wait_until(pilot, lambda: area.has_focus)
        await pilot.press("f7")  # TextArea: select all, so typing replaces the default
        await pilot.press(*"Cats sleep a lot.", "enter", *"Dogs {b} bark.")
        assert area.text == "Cats sleep a lot.\nDogs {b} bark."
        await pilot.press(USE_KEY)  # from inside a TextArea: Enter is a newline there
        await wait_until(pilot, lambda: len(app.used) == 1)
        assert app.used[0].text == "Cats sleep a lot.\nDogs {b} bark.\n\nTL;DR:"

        # The Use button, reached with Tab; scrolled into view at 80x24.
        await pilot.press("tab")
        button = pane.query_one("#tp-use", Button)
        await wait_until(pilot, lambda: button.has_focus)
        assert button.region.bottom <= 24
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(app.used) == 2)
        assert app.used[1].text == app.used[0].text


async def test_enter_moves_between_fields_and_values_survive_switching(tmp_path: Path) -> None:
    pane = TemplatePane(user_folder=tmp_path / "none")
    app = _Host(pane)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_until(pilot, lambda: pane.current is not None)
        await _move_to(pilot, pane, "Q&A")
        await pilot.press("enter")
        question = pane.field_widget("question")
        await wait_until(pilot, lambda: question.has_focus)
        await pilot.press(*"What is a comet?")

        await _move_to(pilot, pane, "Lesson explainer")
        await pilot.press("enter")
        course = pane.field_widget("course")
        await wait_until(pilot, lambda: course.has_focus)
        await pilot.press("enter")  # not the last field: focus moves on
        await wait_until(pilot, lambda: pane.field_widget("topic").has_focus)
        assert app.used == []

        await _move_to(pilot, pane, "Q&A")
        question = pane.field_widget("question")
        assert isinstance(question, Input) and question.value == "What is a comet?"
        await pilot.press(USE_KEY)
        await wait_until(pilot, lambda: len(app.used) == 1)
        assert app.used[0].text.endswith("Q: What is a comet?\nA:")


async def test_user_templates_and_errors_in_the_pane(tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    write(folder, "recipe.toml", GOOD)
    write(folder, "broken.toml", "title = [\n")
    write(folder, "evil.toml", template_file("{a.__class__}", FIELD_A))
    pane = TemplatePane(user_folder=folder)
    app = _Host(pane)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: pane.current is not None)
        errors = pane.query_one("#tp-errors", Static)
        assert errors.display
        shown = str(errors.render())
        assert "Could not load" in shown
        assert "broken.toml" in shown and "TOML syntax error" in shown and "line 2" in shown
        assert "evil.toml" in shown and "invalid placeholder" in shown

        await _move_to(pilot, pane, "Recipe card")
        assert "yours: recipe.toml" in str(pane.query_one("#tp-meta", Static).render())
        await pilot.press("enter")
        await wait_until(pilot, lambda: pane.field_widget("dish").has_focus)
        await pilot.press(*"Plum tart", "enter")
        await wait_until(pilot, lambda: pane.field_widget("serves").has_focus)
        await pilot.press(USE_KEY)
        await wait_until(pilot, lambda: len(app.used) == 1)
        assert app.used[0].text == "Plum tart\n\nServes 4.\n\nIngredients:\n"

        # Fix the broken file and reload: the error disappears, the template appears.
        write(folder, "broken.toml", GOOD.replace("Recipe card", "Another card"))
        await pane.reload()
        await wait_until(pilot, lambda: pane.current is not None)
        assert "broken.toml" not in str(errors.render())
        _highlight(pane, "Another card")


async def test_no_templates_at_all_does_not_crash(tmp_path: Path) -> None:
    pane = TemplatePane([], [TemplateError(tmp_path / "x.toml", "bad [markup")])
    app = _Host(pane)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(USE_KEY, "tab", "enter", "down", "enter")
        await pilot.pause()
        assert pane.current is None and app.used == []
        assert "x.toml — bad [markup" in str(pane.query_one("#tp-errors", Static).render())
