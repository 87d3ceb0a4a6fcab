"""Bad settings and bad user templates (what every bad-input test checks: see bad_input.py)."""

from __future__ import annotations

import json

import pytest

from tests.support.bad_input import assert_words
from tui import config as config_mod
from tui.app import QuillpenApp
from tui.config import Settings
from tui.templates import TemplateError, load_user, user_dir

# -- settings (config.toml) ---------------------------------------------------------------------

CONFIG_CASES = [
    ("malformed-toml", b'model = "gpt2\ntheme = 3\n', ("config.toml", "using defaults")),
    ("not-utf8", b'model = "caf\xe9"\n', ("cannot read", "using defaults")),
    (
        "wrong-types",
        b'continue_tokens = "lots"\noffline = "yes"\nmodel = 5\n',
        ("continue_tokens has the wrong type", "offline has the wrong type"),
    ),
    (
        "gpu-layers-word",
        b'gpu_layers = "lots"\n',
        ("gpu_layers must be a number, 'auto' or 'all'",),
    ),
    (
        "sampler-not-numbers",
        b'[sampler]\ntemperature = "hot"\ntop_k = inf\ntop_p = nan\n',
        ("sampler.temperature must be", "sampler.top_k must be", "sampler.top_p must be"),
    ),
    ("sampler-not-a-table", b"sampler = 5\nkeymap = []\n", ("sampler must be a table",)),
    (
        "unknown-settings",
        b'colour = "red"\n[sampler]\nwarmth = 2\n',
        ("unknown setting 'colour'", "unknown sampler setting 'warmth'"),
    ),
]


@pytest.mark.parametrize(
    ("content", "words"), [c[1:] for c in CONFIG_CASES], ids=[c[0] for c in CONFIG_CASES]
)
def test_bad_config(content: bytes, words: tuple[str, ...]) -> None:
    path = config_mod.config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    settings = config_mod.load()
    warnings = "\n".join(settings.warnings)
    assert_words(warnings, *words)
    defaults = Settings()
    assert settings.sampler == defaults.sampler
    assert settings.continue_tokens == defaults.continue_tokens
    assert settings.gpu_layers == defaults.gpu_layers
    assert path.read_bytes() == content


async def test_app_starts_with_a_bad_config_and_says_so() -> None:
    path = config_mod.config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('continue_tokens = "x"\n[sampler]\ntop_k = inf\n')
    app = QuillpenApp(None, model=None)  # reads the config itself
    async with app.run_test() as pilot:
        await pilot.press(*"still works")
        assert app.editor.text == "still works"
        warnings = [n.message for n in app._notifications if n.title == "Settings"]
        assert len(warnings) == 2, warnings
        assert "continue_tokens" in warnings[0] and "sampler.top_k" in warnings[1]
    assert app.settings.sampler == Settings().sampler


# -- user templates ---------------------------------------------------------------------------

GOOD_TEMPLATE = """\
title = "Good one"
description = "Still loads"
category = "story"
preset = "balanced"
max_tokens = 40
body = "Once upon a time, {who} set out."

[[fields]]
name = "who"
"""


def _template(body: str = "Once upon {who}.", extra: str = "", fields: str = "who") -> bytes:
    text = (
        'title = "Bad"\ndescription = "x"\ncategory = "story"\npreset = "balanced"\n'
        f"max_tokens = 40\nbody = {json.dumps(body)}\n{extra}"
    )
    for name in filter(None, fields.split(",")):
        text += f'\n[[fields]]\nname = "{name}"\n'
    return text.encode()


TEMPLATE_CASES = [
    ("toml-syntax", b'title = "Bad\nbody = 3\n', ("TOML syntax error", "line 1")),
    ("unknown-key", _template(extra='colour = "red"\n'), ("unknown key 'colour'",)),
    ("unknown-field-key", _template(fields="who") + b'kind = "text"\n', ("unknown key 'kind'",)),
    ("placeholder-without-field", _template("Dear {name},", fields=""), ("{name} has no field",)),
    ("invalid-placeholder", _template("Hi {who.upper}", fields="who"), ("invalid placeholder",)),
    ("single-brace", _template("Hi } there", fields=""), ("single '}'",)),
    ("missing-key", b'title = "Bad"\n', ("missing keys", "'body'")),
    ("wrong-type", _template().replace(b"max_tokens = 40", b'max_tokens = "many"'), ("integer",)),
    ("unknown-preset", _template().replace(b'"balanced"', b'"wild"'), ("unknown preset 'wild'",)),
    ("duplicate-field", _template(fields="who,who"), ("duplicate field name 'who'",)),
    ("not-utf8", _template().replace(b"Bad", b"B\xe4d"), ("not UTF-8",)),
    ("too-large", b"# " + b"x" * 300_000 + b"\n", ("too large",)),
]


@pytest.mark.parametrize(
    ("content", "words"), [c[1:] for c in TEMPLATE_CASES], ids=[c[0] for c in TEMPLATE_CASES]
)
def test_bad_user_template(content: bytes, words: tuple[str, ...]) -> None:
    folder = user_dir()
    folder.mkdir(parents=True)
    (folder / "good.toml").write_text(GOOD_TEMPLATE)
    bad = folder / "bad.toml"
    bad.write_bytes(content)
    templates, errors = load_user()
    assert [t.title for t in templates] == ["Good one"]  # one bad file hides nothing else
    assert len(errors) == 1 and isinstance(errors[0], TemplateError)
    assert errors[0].path == bad
    assert_words(str(errors[0]), "bad.toml", *words)
    assert bad.read_bytes() == content


# -- presets.toml -----------------------------------------------------------------------------


async def test_saving_a_preset_asks_before_replacing_an_unreadable_presets_toml() -> None:
    """One typo in a hand-edited presets.toml: Save in Presets… would write the file anew with
    only the saved preset, losing every other one, so it asks first."""
    from tests.support.helpers import laid_out, wait_until
    from tui.presets import presets_path
    from tui.screens.dialogs import Choice
    from tui.screens.main import MainScreen
    from tui.screens.presets import PresetsScreen

    path = presets_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    broken = '# my presets\n["noir"]\ntemperature = 0.7\ntop_k =\n'
    path.write_text(broken, encoding="utf-8")
    app = QuillpenApp(None, settings=Settings())
    async with app.run_test(size=(100, 32)) as pilot:
        for answer in ("cancel", "replace"):
            if not isinstance(app.screen, PresetsScreen):
                app.editor.action_presets()
            await wait_until(pilot, lambda: laid_out(app.screen, "#save"))  # (before a click)
            await pilot.click("#save")
            await wait_until(pilot, lambda: isinstance(app.screen, Choice))
            assert_words(app.screen.question, "presets.toml cannot be read", "every preset")  # type: ignore[attr-defined]
            await pilot.click(f"#{answer}")
            if answer == "cancel":
                await wait_until(pilot, lambda: isinstance(app.screen, PresetsScreen))
                assert path.read_text(encoding="utf-8") == broken  # untouched
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert "noir" not in path.read_text(encoding="utf-8")  # replaced, as the writer chose
