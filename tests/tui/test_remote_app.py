"""The app on a remote engine: the same keys, the same text, plain messages when it fails.

A real ``llama_cpp.server`` (the suite's tiny model) for what works, and the loopback fault
server for what goes wrong; the app is driven with Pilot, the CLI through ``tui.cli.main``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.faultserver import FaultServer
from tests.support.helpers import continued, wait_until
from tui import cli
from tui.app import QuillpenApp
from tui.config import RemoteTarget, Settings
from tui.screens.alternatives import AlternativesScreen
from tui.screens.remote_models import RemoteModelsScreen


def remote_app(path: Path, url: str, **settings: Any) -> QuillpenApp:
    return QuillpenApp(path, engine=url, settings=Settings(**settings))


async def test_tab_f6_and_esc_work_on_a_real_server(tmp_path: Path, llama_server: str) -> None:
    app = remote_app(tmp_path / "s.md", llama_server, continue_tokens=12)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.model_name is not None, 30)
        assert app.status.model_name.startswith("tiny-gpt2") and app.status.state == "ready"
        await pilot.press(*"The keeper")
        await continued(pilot, app, "tab")
        assert app.editor.text.startswith("The keeper") and len(app.editor.text) > 10
        assert app.editor.last_stats.generated_tokens > 0
        # F6: three alternatives from the server; 1 inserts the first at the cursor.
        before = app.editor.text
        await pilot.press("f6")
        await wait_until(pilot, lambda: isinstance(app.screen, AlternativesScreen))
        screen = app.screen
        assert isinstance(screen, AlternativesScreen)
        await wait_until(pilot, lambda: len(screen.done) == 3, 30)
        await pilot.press("1")
        await wait_until(pilot, lambda: app.editor.text == before + screen.texts[0])
        # F5 lists the server's models.
        await pilot.press("f5")
        await wait_until(pilot, lambda: isinstance(app.screen, RemoteModelsScreen))
        models = app.screen
        assert isinstance(models, RemoteModelsScreen)
        await wait_until(pilot, lambda: models.ids == ["tiny-gpt2"], 20)
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, RemoteModelsScreen))


async def test_a_locked_server_says_which_variable_to_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUILLPEN_TEST_KEY", "wrong")
    with FaultServer("llama.cpp", api_key="right") as locked:
        settings = Settings(
            engine="lab", engines={"lab": RemoteTarget(locked.url, api_key_env="QUILLPEN_TEST_KEY")}
        )
        app = QuillpenApp(tmp_path / "s.md", settings=settings)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press(*"Kept")

            def told() -> list[str]:
                return [n.message for n in app._notifications if "QUILLPEN_TEST_KEY" in n.message]

            await wait_until(pilot, told, 20)
            assert "401" in told()[0] and "wrong" not in told()[0]
            assert app.model_name is None and app.status.state == "no model"
            await pilot.press("tab")  # no model: a notice, not a crash
            assert app.editor.text == "Kept" and app.is_running


async def test_a_stream_cut_midway_keeps_its_text_and_says_so(tmp_path: Path) -> None:
    with FaultServer("llama.cpp") as server:
        app = remote_app(tmp_path / "s.md", server.url)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_until(pilot, lambda: app.model_name is not None, 20)
            await pilot.press(*"Once")
            server.plan("cut")
            await continued(pilot, app, "tab")
            assert app.editor.text == "Once Once upon a"  # the three words that arrived
            errors = [n.message for n in app._notifications if n.severity == "error"]
            assert any("dropped mid-stream" in e for e in errors), errors


def test_unknown_engine_name_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        cli.main(["--engine", "nowhere"])
    assert stop.value.code == 2
    assert "unknown engine 'nowhere'" in capsys.readouterr().err


def test_generate_on_a_real_server(llama_server: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(
        ["generate", "--engine", llama_server, "--max-tokens", "8", "--seed", "1", "Once upon"]
    )
    out = capsys.readouterr()
    assert code == 0, out.err
    assert out.out.strip() and "Traceback" not in out.err


@pytest.mark.parametrize(
    ("plan", "words"),
    [("500", ("failed", "500")), ("cut", ("dropped mid-stream", "kept"))],
    ids=["server-error", "cut-stream"],
)
def test_generate_on_a_failing_server_says_so_in_one_line(
    plan: str, words: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    with FaultServer("llama.cpp") as server:
        server.plan(plan)
        code = cli.main(["generate", "--engine", server.url, "--max-tokens", "20", "Once"])
    out = capsys.readouterr()
    assert code == 1
    lines = [line for line in out.err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("quillpen: "), out.err
    assert all(word in lines[0] for word in words), lines[0]
    if plan == "cut":
        assert out.out.strip() == "Once upon a"  # the text that arrived is printed


async def test_chat_and_stop_work_on_a_real_server(tmp_path: Path, llama_server: str) -> None:
    app = remote_app(tmp_path / "s.md", llama_server, continue_tokens=200)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.model_name is not None, 30)
        await pilot.press("f3")
        app.chat.input.text = "Any ideas for a title?"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.chat.last_reply is not None, 30)  # type: ignore[attr-defined]
        await wait_until(pilot, lambda: not app.engine.busy, 30)
        # Esc stops a long continuation: the text so far stays.
        await pilot.press("f2", *"Rain")
        await pilot.press("tab")
        await wait_until(pilot, lambda: len(app.editor.text) > len("Rain") + 3, 30)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not app.editor.generating, 10)
        assert app.editor.text.startswith("Rain") and app.editor.last_stats.stopped_by == "cancel"


def test_generate_alternatives_and_json_on_a_real_server(
    llama_server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    args = ["generate", "--engine", llama_server, "--max-tokens", "6", "--seed", "3"]
    assert cli.main([*args, "-n", "2", "--json", "Once upon"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert len(result["texts"]) == 2 and all(result["texts"])
    for text, tokens in zip(result["texts"], result["tokens"], strict=True):
        assert "".join(t["token"] for t in tokens) == text
        assert all(0 < t["prob"] <= 1 and t["rank"] >= 1 for t in tokens)
    assert cli.main([*args, "-n", "2", "--json", "--stop", "e", "Once upon"]) == 0
    stopped = json.loads(capsys.readouterr().out)["texts"]
    assert all("e" not in text for text in stopped)  # cut before the stop string, each of them
    assert cli.main([*args, "--ban", "the", "Once upon"]) == 1
    assert "needs the local engine" in capsys.readouterr().err
