"""The app on a remote engine: the same keys, the same text, plain messages when it fails.

The loopback fault server for what goes wrong (the real servers, for what works, are in
test_real_servers_app.py); the app is driven with Pilot, the CLI through ``tui.cli.main``.
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


def remote_app(path: Path, url: str, **settings: Any) -> QuillpenApp:
    return QuillpenApp(path, engine=url, settings=Settings(**settings))


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
