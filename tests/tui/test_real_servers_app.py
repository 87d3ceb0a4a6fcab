"""The app and the CLI on the real servers, each with the suite's tiny model: llama-cpp-python's
``llama_cpp.server`` and llama.cpp's own ``llama-server`` (default settings: 4 slots sharing one
1024-token cache). The same keys and commands as locally; F6 and ``generate -n 3`` with a long
document, and ranks a server knows only as bounds, on llama-server.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from textual.app import App

from models.token_probs import TokenInfo
from tests.support.helpers import continued, wait_until
from tui import cli
from tui.app import QuillpenApp
from tui.config import Settings
from tui.screens.alternatives import AlternativesScreen
from tui.screens.remote_models import RemoteModelsScreen
from tui.screens.token_choice import TokenChoiceScreen
from tui.widgets.insight import BUCKETS, RARE, UNRANKED, bucket

LONG = (
    "The lighthouse keeper counted the ships every night. Some nights there were none. "
    "On the last night of the year a small boat came in with no lights at all, and he went "
    "down to the rocks to meet it. "
) * 12  # ~500 tokens: about half the window


def remote_app(path: Path, url: str, **settings: Any) -> QuillpenApp:
    return QuillpenApp(path, engine=url, settings=Settings(**settings))


async def test_tab_f6_and_esc_work_on_a_real_server(tmp_path: Path, real_server: str) -> None:
    app = remote_app(tmp_path / "s.md", real_server, continue_tokens=12)
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


async def test_chat_and_stop_work_on_a_real_server(
    tmp_path: Path, real_server: str, request: pytest.FixtureRequest
) -> None:
    quick = request.node.callspec.params["real_server"] == "llama-server"  # (C++: 900 in 1 s)
    app = remote_app(tmp_path / "s.md", real_server, continue_tokens=900 if quick else 200)
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
        # (llama-server may have written all 900 before the key: its engine test cancels.)
        stopped = app.editor.last_stats.stopped_by
        assert app.editor.text.startswith("Rain") and stopped in ("cancel", "length")
        assert stopped == "cancel" or quick


def test_generate_on_a_real_server(real_server: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(
        ["generate", "--engine", real_server, "--max-tokens", "8", "--seed", "1", "Once upon"]
    )
    out = capsys.readouterr()
    assert code == 0, out.err
    assert out.out.strip() and "Traceback" not in out.err


def test_generate_alternatives_and_json_on_a_real_server(
    real_server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["generate", "--engine", real_server, "--max-tokens", "6", "--seed", "3"]
    assert cli.main([*args, "-n", "2", "--json", "Once upon"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert len(result["texts"]) == 2 and all(result["texts"])
    for text, tokens in zip(result["texts"], result["tokens"], strict=True):
        assert "".join(t["token"] for t in tokens) == text
        for t in tokens:  # an exact rank, or the least it can be: never both
            assert 0 < t["prob"] <= 1 and len({"rank", "rank_at_least"} & set(t)) == 1
            assert t.get("rank", t.get("rank_at_least", 0)) >= 1
    assert cli.main([*args, "-n", "2", "--json", "--stop", "e", "Once upon"]) == 0
    stopped = json.loads(capsys.readouterr().out)["texts"]
    assert all("e" not in text for text in stopped)  # cut before the stop string, each of them
    assert cli.main([*args, "--ban", "the", "Once upon"]) == 1
    assert "needs the local engine" in capsys.readouterr().err


# -- llama.cpp's own server, with a long document ---------------------------------------------


async def test_f6_on_a_long_document_gives_all_three(tmp_path: Path, cpp_llama_server: str) -> None:
    path = tmp_path / "long.md"
    path.write_text(LONG.strip() + "\n", encoding="utf-8")
    app = remote_app(path, cpp_llama_server)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.model_name is not None, 30)
        app.editor.move_cursor(app.editor.document.end)
        await pilot.press("f6")
        await wait_until(pilot, lambda: isinstance(app.screen, AlternativesScreen))
        screen = app.screen
        assert isinstance(screen, AlternativesScreen)
        await wait_until(pilot, lambda: len(screen.done) == 3, 60)
        assert not screen.failed and all(screen.texts), screen.failed


def test_generate_three_on_a_long_prompt(
    cpp_llama_server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["generate", "--engine", cpp_llama_server, "--max-tokens", "60", "--seed", "2"]
    assert cli.main([*args, "-n", "3", "--json", LONG]) == 0
    out = capsys.readouterr()
    result = json.loads(out.out)
    assert "Traceback" not in out.err and not out.err.strip(), out.err
    assert len(result["texts"]) == 3 and all(result["texts"])
    for text, tokens in zip(result["texts"], result["tokens"], strict=True):
        assert tokens and "".join(t["token"] for t in tokens) == text


# -- ranks that are bounds, on screen -------------------------------------------------------------


def test_surprise_colours_never_claim_a_bucket_a_bound_cannot_know() -> None:
    green, yellow, red = (style for _, style in BUCKETS)
    assert (bucket(5), bucket(50), bucket(500), bucket(5000)) == (green, yellow, red, RARE)
    assert bucket(11, exact=False) is UNRANKED  # 11 or more: yellow, red or violet
    assert bucket(6, exact=False) is UNRANKED
    assert bucket(1001, exact=False) is RARE  # past 1,000: violet, whatever the rest


async def test_token_choice_says_when_a_rank_is_a_bound() -> None:
    bound = TokenInfo(" moon", 9, 0.001, 11, ((" sea", 0.4), (" sky", 0.2)), rank_exact=False)

    class Host(App[None]):
        def on_mount(self) -> None:
            self.push_screen(TokenChoiceScreen(bound))

    async with Host().run_test() as pilot:
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, TokenChoiceScreen))
        label = str(pilot.app.screen.query_one(".dialog-question").render())
        assert "choice no. >10" in label and "rank unknown" in label
        assert "no. 11" not in label
