"""Odd prompts and flags, and model output that is not plain text (see bad_input.py)."""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from models.errors import QuillpenError
from models.hub.convert import convert
from models.local.engine import Engine
from models.local.gguf_info import read_info
from tests.support import engine_hooks
from tests.support.bad_input import (
    CONTROL_CHARS,
    HOSTILE_SHOWN,
    assert_one_stderr_line,
    assert_words,
    run_cli,
    screen_output,
)
from tests.support.helpers import continued, wait_until
from tui.app import QuillpenApp
from tui.config import Settings

GPU_LAYERS_HELP = "number of layers, 'auto' or 'all'"


def hostile_stream(self: Engine, *args: Any, **kwargs: Any) -> Iterator[str]:
    yield from engine_hooks.HOSTILE_PIECES


# -- prompts and flags --------------------------------------------------------------------------


def test_engine_prompt_longer_than_the_window(small_engine: Engine) -> None:
    prompt = "word " * 3000
    text = small_engine.complete(prompt, max_tokens=3)
    stats = small_engine.last_stats
    assert isinstance(text, str) and stats.generated_tokens >= 1
    assert stats.trimmed_tokens > 0  # the oldest tokens went, quietly
    assert stats.prompt_tokens + 3 <= small_engine.n_ctx_train


def test_generate_prompt_longer_than_the_window(
    small_gguf: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Seeded, and 8 tokens: unseeded, the random model's 3 tokens were now and then only
    # white space, and the output check below failed (one CI run in many).
    args = ("--max-tokens", "8", "--seed", "1", "w " * 3000)
    run = run_cli(capsys, "generate", "--model", str(small_gguf), *args)
    assert_one_stderr_line(run, "longer than the model's 64-token window", "using its end", rc=0)
    assert run.out.strip()


def test_generate_gpu_layers_on_a_cpu_only_build(
    small_gguf: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from models.local import gpu

    if gpu.offload_supported():  # a GPU build: play the CPU-only one
        monkeypatch.setattr(gpu, "offload_supported", lambda: False)
    run = run_cli(
        capsys,
        "generate",
        "--model",
        str(small_gguf),
        "--gpu-layers",
        "5",
        "--max-tokens",
        "3",
        "x",
    )
    assert_one_stderr_line(run, "cannot offload to a GPU", "running on the CPU", rc=0)
    assert run.out.strip()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (
            ("generate", "--gpu-layers", "lots", "hi"),
            ("--gpu-layers", GPU_LAYERS_HELP),
        ),
        (("--gpu-layers", "lots"), ("--gpu-layers", GPU_LAYERS_HELP)),
        (("generate", "--max-tokens", "many", "hi"), ("--max-tokens", "a whole number")),
    ],
    ids=["generate-gpu-layers-lots", "app-gpu-layers-lots", "generate-max-tokens-word"],
)
def test_bad_flag_is_a_usage_error(
    args: tuple[str, ...], words: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_cli(capsys, *args)
    assert run.rc == 2 and run.out == ""
    assert "Traceback" not in run.err
    assert run.err.startswith("usage: quillpen")
    assert_words(run.err.strip().splitlines()[-1], "quillpen", "error", *words)


def test_engine_gpu_layers_word(small_gguf: Path) -> None:
    wanted = "--gpu-layers takes a number, 'auto' or 'all', not 'lots'"
    with pytest.raises(QuillpenError, match=wanted):
        Engine.load(small_gguf, gpu_layers="lots")


@pytest.mark.parametrize("where", ["argument", "stdin"])
def test_generate_prompt_not_utf8(
    where: str,
    small_gguf: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    raw = b"caf\xe9 \xff"
    args = ["generate", "--model", str(small_gguf), "--max-tokens", "2"]
    if where == "argument":  # how Python hands over undecodable argv bytes
        args.append(raw.decode("utf-8", "surrogateescape"))
    else:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8"))
    run = run_cli(capsys, *args)
    assert_one_stderr_line(run, "the prompt is not UTF-8 text")
    assert run.out == ""


# -- model output that is not plain text --------------------------------------------------------


def test_generate_prints_hostile_output_as_text(
    small_gguf: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Engine, "stream", hostile_stream)
    run = run_cli(capsys, "generate", "--model", str(small_gguf), "Once")
    assert run.rc == 0 and run.err == ""
    assert run.out == HOSTILE_SHOWN + "\n"
    for char in CONTROL_CHARS:
        assert char not in run.out


async def test_app_shows_hostile_output_as_text(
    tmp_path: Path, small_gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine_hooks.use(monkeypatch, "hostile")  # in the engine process
    app = QuillpenApp(tmp_path / "s.md", model=str(small_gguf), settings=Settings())
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_until(pilot, lambda: app.model_name is not None, 20)
        await continued(pilot, app, *"Hi", "tab")
        assert app.editor.text == "Hi" + HOSTILE_SHOWN
        assert app.is_running  # [@click=app.quit] did nothing

        await pilot.press("f3")  # the chat pane: the same pieces as a reply
        await pilot.pause()
        app.chat.input.focus()
        await pilot.press(*"Ideas?", "enter")
        await wait_until(pilot, lambda: len(app.chat.history) == 2, 20)
        await pilot.pause()
        reply = HOSTILE_SHOWN.strip()
        assert app.chat.history[-1].content == reply
        assert app.chat.last_reply == reply

        out = screen_output(app)
        for sequence in ("\x1b[2J", "\x1b]52", "\x07", "\x00", "\r"):
            assert sequence not in out
        plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out)
        assert plain.count("[bold]x[/bold]") == 2  # the editor's line and the chat's reply


async def test_app_model_name_with_escapes_is_shown_as_text(
    small_checkpoint: Path, tmp_path: Path
) -> None:
    hostile = convert(
        small_checkpoint, tmp_path / "evil.gguf", "f32", name="[b]Evil[/b]\x1b[2J\x1b]52;c;SGk=\x07"
    )
    assert read_info(hostile).name == "[b]Evil[/b]"
    app = QuillpenApp(None, model=str(hostile), settings=Settings())
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.model_name is not None, 20)
        out = screen_output(app)
        assert "\x1b[2J" not in out and "\x1b]52" not in out and "\x07" not in out
        assert "[b]Evil[/b]" in re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out)


async def test_app_file_name_with_escapes_is_shown_as_text(tmp_path: Path) -> None:
    path = tmp_path / "notes\x1b[2J\x1b]52;c;SGk=\x07.md"
    path.write_text("hello")
    app = QuillpenApp(path, model=None, settings=Settings())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.editor.text == "hello"
        out = screen_output(app)
        assert "\x1b[2J" not in out and "\x1b]52" not in out and "\x07" not in out


async def test_brackets_in_lists_and_tables_are_text_not_markup(
    tmp_path: Path, tiny_gguf: Path
) -> None:
    """A poem line, an alternative or a token like "[/oux]" once crashed a list (MarkupError)."""
    from textual.widgets import DataTable, OptionList

    from tui.screens.alternatives import AlternativesScreen
    from tui.screens.poem import PoemScreen

    poem = "a [/oux] pond\n[b]frog[/b] jumps in\nsplash [link=x] again\n"
    path = tmp_path / "p.md"
    path.write_text(poem)
    app = QuillpenApp(path, model=str(tiny_gguf), settings=Settings())
    async with app.run_test(size=(119, 30)) as pilot:
        await wait_until(pilot, lambda: app.model_name is not None, 20)
        await pilot.press("f7")
        await wait_until(pilot, lambda: isinstance(app.screen, PoemScreen))
        screen = app.screen
        assert isinstance(screen, PoemScreen)
        await wait_until(pilot, lambda: screen.view is not None, 20)
        table = screen.query_one(DataTable)
        await pilot.pause()
        assert "[b]frog[/b] jumps in" in str(table.get_row_at(1)[1])
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, PoemScreen))
        await pilot.press("f6")
        await wait_until(pilot, lambda: isinstance(app.screen, AlternativesScreen))
        alternatives = app.screen
        assert isinstance(alternatives, AlternativesScreen)
        alternatives.texts[0] = " a [/oux] and [b]x"
        alternatives._show(0)
        await pilot.pause()
        shown = alternatives.query_one(OptionList).get_option_at_index(0).prompt
        assert "[/oux] and [b]x" in str(shown)
        assert app.is_running
