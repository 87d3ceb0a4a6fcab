"""Config problems are said, never passed over: numbers out of range, unknown themes, keymap
ids and keys, keys claimed twice, and a memory or author's note too long to fit."""

from __future__ import annotations

from pathlib import Path

from tests.support.helpers import continued, wait_until
from tui import config
from tui.app import QuillpenApp
from tui.bindings import contexts
from tui.config import Settings
from tui.keymap import problems, valid_key


def load(tmp_path: Path, text: str) -> config.Settings:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return config.load(path)


def test_out_of_range_numbers_warn_and_fall_back(tmp_path: Path) -> None:
    s = load(
        tmp_path,
        "threads = 0\nautosave_seconds = -5\ncontinue_tokens = 9999\n"
        "[sampler]\ntop_p = 7\ntemperature = -1\ntop_k = 30\n",
    )
    assert s.threads is None and s.autosave_seconds == 0 and s.continue_tokens == 60
    assert s.sampler.top_p == 0.95 and s.sampler.temperature == 0.8 and s.sampler.top_k == 30
    text = "\n".join(s.warnings)
    for fragment in (
        "threads = 0 must be between 1 and 512",
        "autosave_seconds = -5 must be at least 0",
        "continue_tokens = 9999 must be between 1 and 512",
        "sampler.top_p = 7 must be between 0 and 1; using 0.95",
        "sampler.temperature = -1",
    ):
        assert fragment in text, text
    assert len(s.warnings) == 5
    assert load(tmp_path, "threads = 2\n[sampler]\ntop_p = 0.9\n").warnings == []


def test_key_names() -> None:
    for good in ("ctrl+s", "f6", "escape", "a", "ctrl+space", "shift+tab", "ctrl+shift+home"):
        assert valid_key(good), good
    for bad in ("ctrl+spcae", "f99", "cmd+s", "", "ctrl+"):
        assert not valid_key(bad), bad


def test_keymap_problems_are_named() -> None:
    found = problems(
        {
            "editor.continue": "tab,f6",  # F6 is Alternatives' key
            "editor.nope": "f9",
            "chat.copy": "ctrl+cpoy",
        },
        contexts(),
    )
    assert "keymap: no binding has the id 'editor.nope' (F1 lists the ids)" in found
    assert "keymap: chat.copy = 'ctrl+cpoy' is not a key name" in found
    assert any("f6 is bound to both" in p and "editor.alternatives" in p for p in found), found
    assert problems({"editor.continue": "tab,ctrl+space"}, contexts()) == []
    assert problems({}, contexts()) == []  # the defaults never clash
    # Ctrl+S saves the document, and the notes in F8, by design: keeping it is no clash.
    assert problems({"app.save": "ctrl+s,f11"}, contexts()) == []


async def test_app_says_what_is_wrong_with_theme_and_keymap(tmp_path: Path) -> None:
    settings = Settings(theme="solarised-purple", keymap={"editor.continue": "f6"})
    app = QuillpenApp(None, settings=settings)
    async with app.run_test() as pilot:
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any("'solarised-purple' is not one of Textual's themes" in m for m in messages)
        assert any("f6 is bound to both" in m for m in messages), messages
        assert app.theme == "textual-dark"


async def test_a_memory_too_long_to_fit_is_said_once(tmp_path: Path, tiny_gguf: Path) -> None:
    from tui.store.notes import StoryNotes

    app = QuillpenApp(tmp_path / "s.md", model=str(tiny_gguf), settings=Settings(continue_tokens=4))
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: app.model_name is not None, 30)
        app.session.notes = StoryNotes(
            memory="The keeper remembers the sea. " * 40, note="Rain, and short sentences. " * 12
        )
        for _ in range(2):
            await continued(pilot, app, "tab")
        told = [n.message for n in app._notifications if "Too long to fit" in n.message]
        assert len(told) == 1, told
        assert "the memory's last" in told[0] and "the author's note's last" in told[0], told


async def test_a_theme_picked_in_the_app_is_remembered(user_dirs: dict[str, Path]) -> None:
    first = QuillpenApp(None, settings=Settings())
    async with first.run_test() as pilot:
        assert first.theme == "textual-dark"
        first.theme = "nord"  # what the palette's "Change theme" does
        await pilot.pause()
    again = QuillpenApp(None, settings=Settings())
    async with again.run_test() as pilot:
        assert again.theme == "nord"
    explicit = QuillpenApp(None, settings=Settings(theme="gruvbox"))  # config.toml wins
    async with explicit.run_test() as pilot:
        assert explicit.theme == "gruvbox"


def _docs_example() -> str:
    """The config.toml example of docs/usage.md ("Settings")."""
    usage = (Path(__file__).parents[2] / "docs" / "usage.md").read_text(encoding="utf-8")
    settings = usage[usage.index("## Settings") :]
    return settings.split("```toml\n", 1)[1].split("```", 1)[0]


def test_the_docs_example_config_is_clean(tmp_path: Path) -> None:
    """Copied as it stands, the documented example gives no warning and takes no key from
    another action (it once gave Tab's action F6, which is Alternatives')."""
    s = load(tmp_path, _docs_example())
    assert s.warnings == [] and s.keymap, s.warnings
    assert problems(s.keymap, contexts()) == []
    assert s.sampler.top_p == 0.95 and s.engine == "lab" and "lab" in s.engines


def test_keymap_keys_are_read_as_textual_sends_them(tmp_path: Path) -> None:
    s = load(
        tmp_path,
        '[keymap]\n"app.help" = "F12"\n"editor.continue" = "Tab, Ctrl+Space"\n'
        '"editor.undo" = ["ctrl+z", "F11"]\n"app.save" = 5\n"editor.poem" = "A"\n',
    )
    assert s.keymap == {
        "app.help": "f12",
        "editor.continue": "tab,ctrl+space",
        "editor.undo": "ctrl+z,f11",
        "editor.poem": "A",  # a bare character keeps its case (Shift+A)
    }
    assert s.warnings == [
        'config.toml: keymap app.save must be keys as text ("tab,ctrl+space"); ignored'
    ]


async def test_keys_written_as_people_write_them_work(user_dirs: dict[str, Path]) -> None:
    """ "F12" and "tab, ctrl+space" in config.toml: Textual matches only "f12" and "ctrl+space",
    so without reading them as it sends them, the keys silently did nothing."""
    from tui.screens.help import HelpScreen

    path = config.config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('[keymap]\n"app.help" = "F12"\n"app.save" = "ctrl+s, F11"\n')
    target = user_dirs["data"] / "kept.md"
    app = QuillpenApp(target)  # reads the config itself
    async with app.run_test() as pilot:
        await pilot.press("f12")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.press("escape", *"kept", "f11")
        await wait_until(pilot, target.exists)
        assert target.read_text() == "kept"
        assert not [n for n in app._notifications if n.title == "Settings"]


async def test_undo_and_redo_keys_can_be_moved() -> None:
    """F1 lists editor.undo and editor.redo: moving them in the keymap moves them (they were
    TextArea's own keys, and a keymap entry for them did nothing, without a word)."""
    keymap = {"editor.undo": "f12", "editor.redo": "f11"}
    app = QuillpenApp(None, settings=Settings(keymap=keymap))
    async with app.run_test() as pilot:
        await pilot.press(*"tide")
        await pilot.press("f12")
        assert app.editor.text == ""
        await pilot.press("f11")
        assert app.editor.text == "tide"
        await pilot.press("ctrl+z")  # moved away: no longer undo
        assert app.editor.text == "tide"
        assert problems(keymap, contexts()) == []
