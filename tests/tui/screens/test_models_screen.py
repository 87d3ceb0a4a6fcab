"""The models screen (F5) driven through Pilot against the loopback fake Hub
(tests/support/hubserver.py).

What a user notices: the lists, the status line under the progress bar, the notifications, the
status bar of the main screen, and that the app keeps answering keys while a pull runs.
"""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import huggingface_hub.constants as hf_constants
import pytest
from textual.pilot import Pilot
from textual.widgets import Button, DataTable, Input, ProgressBar, Select, Static, Switch

from models import locations
from models.hub import cache as store
from models.hub import catalog
from models.hub import download as hub
from tests.models.hub import test_hub
from tests.support import hubserver
from tests.support.helpers import wait_until
from tests.support.hubserver import FakeHub
from tui.app import QuillpenApp
from tui.config import Settings
from tui.screens.dialogs import Choice
from tui.screens.models import ModelsScreen

# The fake Hub and its fixtures live in test_hub.py; make them visible to this module too.
fake_hub = test_hub.fake_hub
sleeps = test_hub.sleeps
official_files = test_hub.official_files
gguf_bytes = test_hub.gguf_bytes

SIZE = (100, 40)
PULL_TIMEOUT = 30.0
Notes = list[tuple[str, str, str]]  # (severity, title, message)


@pytest.fixture(autouse=True)
def _offline_env_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Offline switch writes os.environ directly: start online, and undo it afterwards."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")


class CdnGate:
    """Holds every body request to the fake CDN (LFS bytes) until :meth:`release`."""

    def __init__(self) -> None:
        self.opened = threading.Event()
        self.waiting = threading.Event()

    def release(self) -> None:
        self.opened.set()


@pytest.fixture
def cdn_gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[CdnGate]:
    gate = CdnGate()
    real = hubserver._Handler._cdn

    def gated(handler: Any, path: str, *, body: bool) -> None:
        if body:
            gate.waiting.set()
            gate.opened.wait(timeout=20)
        real(handler, path, body=body)

    monkeypatch.setattr(hubserver._Handler, "_cdn", gated)
    yield gate
    gate.release()


@pytest.fixture
def tiny_local(tiny_gguf: Path) -> Path:
    """A converted tiny GPT-2 in the models folder, as `tiny` at Q8_0."""
    target = hub.model_path("tiny", "Q8_0")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(tiny_gguf, target)
    return target


# -- helpers -----------------------------------------------------------------------------------


def make_app() -> tuple[QuillpenApp, Notes]:
    """The app with default settings, recording every notification it shows."""
    app = QuillpenApp(None, settings=Settings())
    notes: Notes = []
    real_notify = app.notify

    def notify(message: str, *, title: str = "", severity: Any = "information", **kw: Any) -> None:
        notes.append((str(severity), title, message))
        real_notify(message, title=title, severity=severity, **kw)

    app.notify = notify  # type: ignore[method-assign]
    return app, notes


async def open_models(pilot: Pilot[Any]) -> ModelsScreen:
    await pilot.press("f5")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ModelsScreen))
    screen = pilot.app.screen
    assert isinstance(screen, ModelsScreen)
    await pilot.pause()
    return screen


def text_of(screen: ModelsScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def status(screen: ModelsScreen) -> str:
    return text_of(screen, "#pull-status")


def rows(screen: ModelsScreen) -> list[tuple[str, str]]:
    table = screen.query_one("#local-models", DataTable)
    return [tuple(map(str, table.get_row_at(i)[:2])) for i in range(table.row_count)]  # type: ignore[misc]


def errors(notes: Notes) -> list[tuple[str, str, str]]:
    return [n for n in notes if n[0] == "error"]


async def choose_quant(pilot: Pilot[Any], screen: ModelsScreen, quant: str) -> None:
    """Open the quant dropdown with the keyboard and pick ``quant``."""
    select: Select[str] = screen.query_one("#pull-quant", Select)
    steps = catalog.QUANTS.index(quant) - catalog.QUANTS.index(str(select.value))
    select.focus()
    await pilot.press("enter")
    await pilot.pause()
    await pilot.press(*(["down"] * steps if steps > 0 else ["up"] * -steps), "enter")
    await pilot.pause()
    assert select.value == quant


async def type_into(pilot: Pilot[Any], widget: Input, text: str) -> None:
    """Replace the input's text; the last few characters are real key presses."""
    widget.focus()
    await pilot.pause()
    widget.value = text[:-4]
    widget.cursor_position = len(widget.value)
    await pilot.press(*text[-4:])
    assert widget.value == text


def wait_status(screen: ModelsScreen, prefix: str) -> Any:
    return lambda: status(screen).startswith(prefix)


def complete_blobs(repo_id: str) -> list[Path]:
    blobs = locations.hub_dir() / f"models--{repo_id.replace('/', '--')}" / "blobs"
    return [p for p in blobs.glob("*") if not p.name.endswith(".incomplete")]


# -- tests -------------------------------------------------------------------------------------


async def test_pull_gpt2_with_progress_while_the_ui_answers(
    fake_hub: FakeHub, cdn_gate: CdnGate
) -> None:
    app, notes = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_models(pilot)
        assert "Nothing downloaded yet" in text_of(screen, "#active-model")
        assert "No model loaded" in text_of(screen, "#active-model")
        assert rows(screen) == []

        # Nothing to use or delete yet: those buttons are off, and Enter only warns.
        assert screen.query_one("#use").disabled and screen.query_one("#delete").disabled
        screen.action_use()
        await pilot.pause()
        assert ("warning", "", "Select a model first.") in notes
        assert app.screen is screen

        await choose_quant(pilot, screen, "Q8_0")
        await pilot.press("ctrl+g")
        await wait_until(pilot, cdn_gate.waiting.is_set, timeout=PULL_TIMEOUT)
        # The weights are held at the CDN: the pull is running, and the UI still answers.
        assert screen._pulling()
        assert screen.query_one("#pull", Button).disabled
        assert not screen.query_one("#cancel-pull", Button).disabled
        # config.json (a small git file) came through: its progress is on screen.
        assert re.search(r"config\.json: [\d.]+ of [\d.]+ MB$", status(screen)), status(screen)
        bar = screen.query_one(ProgressBar)
        assert bar.progress > 0
        repo = screen.query_one("#pull-repo", Input)
        await type_into(pilot, repo, "abc")
        await pilot.press("ctrl+g")  # a second pull while one runs is ignored
        assert screen._pulling()
        repo.value = ""

        cdn_gate.release()
        await wait_until(pilot, wait_status(screen, "Ready:"), timeout=PULL_TIMEOUT)
        path = hub.model_path("gpt2", "Q8_0")
        assert status(screen) == f"Ready: {path}"
        assert path.is_file()
        assert bar.progress > 0
        assert ("information", "", f"Downloaded {path.name}. Select it and press Use.") in notes
        assert ("gpt2", "Q8_0") in rows(screen)
        assert "Nothing downloaded yet" not in text_of(screen, "#active-model")
        assert not screen.query_one("#pull", Button).disabled
        assert screen.query_one("#cancel-pull", Button).disabled
        assert errors(notes) == []
        assert app.is_running


async def test_use_with_gpu_layers_auto_loads_and_tab_writes(tiny_local: Path) -> None:
    app, notes = make_app()
    async with app.run_test(size=SIZE) as pilot:
        assert app.model_name is None and app.model.gpu_layers == 0
        await pilot.press(*"The lighthouse")
        screen = await open_models(pilot)
        assert rows(screen) == [("tiny", "Q8_0")]
        gpu = screen.query_one("#gpu-layers", Input)
        assert gpu.value == "0"
        await type_into(pilot, gpu, "auto")
        await pilot.click("#use")
        await wait_until(pilot, lambda: app.model_name is not None, timeout=20)
        assert app.model.gpu_layers == "auto"  # and this CPU build still loads it
        assert app.status.state.startswith("ready")  # ("ready (safe mode)" on some CPUs)
        assert app.screen is not screen  # back on the main screen
        assert app.model_name
        assert app.model_name in str(app.status.render())
        assert "Q8_0" in app.status.model_name

        before = app.editor.text
        assert before == "The lighthouse"
        await pilot.press("tab")
        await wait_until(
            pilot,
            lambda: len(app.editor.text) > len(before) and not app.engine.busy,
            timeout=20,
        )
        assert app.editor.text.startswith(before)
        assert errors(notes) == []

        screen = await open_models(pilot)
        assert f"Active model: {app.model_name}" in text_of(screen, "#active-model")


@pytest.mark.parametrize("how", ["button", "escape"])
async def test_cancel_then_pull_again(fake_hub: FakeHub, cdn_gate: CdnGate, how: str) -> None:
    app, notes = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_models(pilot)
        await choose_quant(pilot, screen, "Q8_0")
        await pilot.click("#pull")
        await wait_until(pilot, cdn_gate.waiting.is_set, timeout=PULL_TIMEOUT)
        if how == "button":
            await pilot.click("#cancel-pull")
        else:
            await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen  # Esc while pulling cancels; it does not leave
        cdn_gate.release()
        await wait_until(pilot, wait_status(screen, "Cancelled"), timeout=PULL_TIMEOUT)
        assert rows(screen) == []
        assert store.list_local() == []
        assert not hub.model_path("gpt2", "Q8_0").exists()
        weights_sha = fake_hub.file(test_hub.CATALOG_REPO, test_hub.WEIGHTS).sha256
        assert weights_sha not in {p.name for p in complete_blobs(test_hub.CATALOG_REPO)}
        assert not screen.query_one("#pull", Button).disabled
        assert screen.query_one("#cancel-pull", Button).disabled
        assert errors(notes) == []  # a cancel is not an error
        assert app.is_running
        if how == "escape":
            return

        await pilot.click("#pull")  # the same pull again: it works (and resumes the weights)
        await wait_until(pilot, wait_status(screen, "Ready:"), timeout=PULL_TIMEOUT)
        assert ("gpt2", "Q8_0") in rows(screen)
        assert errors(notes) == []


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("nobody/missing", "nobody/missing: repository not found"),
        (f"{test_hub.GGUF_REPO}:nope.Q8_0.gguf", "nope.Q8_0.gguf: file not found"),
    ],
    ids=["repo", "file"],
)
async def test_hub_errors_are_messages(fake_hub: FakeHub, reference: str, expected: str) -> None:
    app, notes = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_models(pilot)
        await type_into(pilot, screen.query_one("#pull-repo", Input), reference)
        await pilot.press("enter")
        await wait_until(pilot, wait_status(screen, "Failed:"), timeout=PULL_TIMEOUT)
        assert expected in status(screen)
        assert fake_hub.requests  # it did ask
        assert [(t, m) for _, t, m in errors(notes)] == [
            ("Download failed", status(screen).removeprefix("Failed: "))
        ]
        assert rows(screen) == []
        assert app.is_running and app.screen is screen
        assert not screen.query_one("#pull", Button).disabled
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, ModelsScreen))


async def test_delete_asks_then_removes(tiny_local: Path) -> None:
    app, notes = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_models(pilot)
        assert rows(screen) == [("tiny", "Q8_0")]

        await pilot.click("#delete")
        await wait_until(pilot, lambda: isinstance(app.screen, Choice))
        await pilot.click("#cancel")
        await wait_until(pilot, lambda: app.screen is screen)
        assert tiny_local.exists() and rows(screen) == [("tiny", "Q8_0")]

        screen.query_one("#local-models", DataTable).focus()
        await pilot.press("delete")
        await wait_until(pilot, lambda: isinstance(app.screen, Choice))
        question = str(app.screen.query_one(".dialog-question", Static).render())
        assert "Delete tiny Q8_0" in question
        await pilot.click("#delete")
        await wait_until(pilot, lambda: app.screen is screen)
        assert rows(screen) == []
        assert not tiny_local.exists()
        assert not tiny_local.parent.exists()
        assert store.list_local() == []
        assert "Nothing downloaded yet" in text_of(screen, "#active-model")
        assert errors(notes) == []


async def test_offline_switch_makes_no_requests(fake_hub: FakeHub) -> None:
    app, notes = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_models(pilot)
        switch = screen.query_one("#offline", Switch)
        assert not switch.value
        await pilot.click("#offline")
        await pilot.pause()
        assert switch.value and hub.is_offline()

        await pilot.press("ctrl+g")
        await wait_until(pilot, wait_status(screen, "Failed:"), timeout=PULL_TIMEOUT)
        assert "offline" in status(screen)
        assert fake_hub.requests == []
        assert len(errors(notes)) == 1 and "offline" in errors(notes)[0][2]
        assert rows(screen) == [] and app.is_running

        await pilot.click("#offline")
        await pilot.pause()
        assert not switch.value and not hub.is_offline()


async def test_started_offline_then_switched_online_pulls(
    fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `quillpen --offline` (or HF_HUB_OFFLINE=1) sets the variable before huggingface_hub is
    # imported, and huggingface_hub reads it once, at import.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)
    app, notes = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_models(pilot)
        switch = screen.query_one("#offline", Switch)
        assert switch.value
        await choose_quant(pilot, screen, "Q8_0")
        await pilot.press("ctrl+g")
        await wait_until(pilot, wait_status(screen, "Failed:"), timeout=PULL_TIMEOUT)
        assert "offline" in status(screen)
        assert fake_hub.requests == []

        await pilot.click("#offline")
        await pilot.pause()
        assert not switch.value and not hub.is_offline()
        await pilot.click("#pull")
        await wait_until(pilot, lambda: status(screen).startswith(("Ready:", "Failed:")), 30)
        assert status(screen).startswith("Ready:"), status(screen)
        assert ("gpt2", "Q8_0") in rows(screen)
        assert len(errors(notes)) == 1  # only the offline failure


async def test_cancel_during_quantize_stops_it_within_a_second(
    fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Quantizing runs in a child process: Cancel kills it and leaves no partial file."""
    import time

    from models.hub.child_job import DELAY_ENV, partial_of

    monkeypatch.setenv(DELAY_ENV, "60")  # a quantize that would take a minute
    app, notes = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_models(pilot)
        await choose_quant(pilot, screen, "Q5_K_M")
        await pilot.click("#pull")
        await wait_until(pilot, wait_status(screen, "quantizing"), timeout=PULL_TIMEOUT)
        final = hub.model_path("gpt2", "Q5_K_M")
        partial = partial_of(final)
        await wait_until(pilot, partial.exists, timeout=PULL_TIMEOUT)
        started = time.monotonic()
        await pilot.press("escape")
        await wait_until(pilot, wait_status(screen, "Cancelled"), timeout=5)
        assert time.monotonic() - started < 1.0
        assert not partial.exists() and not final.exists()
        assert store.list_local() == [] and errors(notes) == []
        assert app.is_running


async def test_deleting_the_model_in_use_says_so_and_unloads_it(tiny_local: Path) -> None:
    app, notes = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.model.use(tiny_local)
        await wait_until(pilot, lambda: app.model_name is not None, timeout=20)
        engine_pid = app.engine.pid  # type: ignore[attr-defined]
        screen = await open_models(pilot)
        screen.query_one("#local-models", DataTable).focus()
        await pilot.press("delete")
        await wait_until(pilot, lambda: isinstance(app.screen, Choice))
        question = str(app.screen.query_one(".dialog-question", Static).render())
        assert "It is the model in use" in question
        await pilot.click("#delete")
        await wait_until(pilot, lambda: app.screen is screen)
        assert not tiny_local.exists() and app.model_name is None
        assert app.status.state == "no model"
        stat = Path(f"/proc/{engine_pid}/stat")
        assert not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] == "Z"
        await pilot.press("escape", "tab")  # Tab now: a notice, not a crash
        await pilot.pause()
        assert any("No model is loaded" in n[2] for n in notes)
