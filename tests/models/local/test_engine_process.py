"""The engine in its own process: real crashes, safe-mode restarts, no orphans, the protocol."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from models.engine_client import (
    Chunk,
    EngineCrashed,
    Finished,
    GenerateRequest,
    ModelLoaded,
)
from models.local.client import LocalEngine
from models.local.cpu_probe import decide
from models.local.engine import Engine
from models.local.process import CRASH_ENV, SPARE_CORE
from models.prompting.prompts import StorySpec, TextSpec
from models.sampling import SamplerSettings
from tests.support.engine_events import Events
from tests.support.helpers import continued, wait_until
from tui.app import QuillpenApp
from tui.config import Settings
from tui.store import journal


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "\nState:\tZ" in status.read_text())


def wait_gone(pid: int, timeout: float = 3) -> bool:
    deadline = time.monotonic() + timeout
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


# -- the client against a real engine process ------------------------------------------------


def test_streams_from_a_child_process_and_closes_it(tiny_gguf: Path) -> None:
    events = Events()
    engine = LocalEngine(events)
    engine.load(tiny_gguf, threads=1)
    [loaded] = events.wait_for(ModelLoaded)
    assert loaded.quant == "Q8_0" and loaded.n_ctx == 1024
    assert loaded.safe_mode == (not decide("auto").extra_bufts)  # this CPU's decision
    pid = engine.pid
    assert pid is not None and pid != os.getpid() and alive(pid)
    got = Events()
    request = GenerateRequest(StorySpec("Once upon a time"), SamplerSettings(seed=3), 30)
    engine.submit(request, got)
    [done] = got.wait_for(Finished)
    text = "".join(e.text for e in got.items if hasattr(e, "text"))
    assert done.request_id == request.id and not done.error
    assert done.stats.generated_tokens == 30 and text
    # The same seed in-process gives the same text: the process boundary changes nothing.
    local = Engine.load(tiny_gguf, threads=1)
    assert local.complete("Once upon a time", SamplerSettings(seed=3), max_tokens=30) == text
    local.close()
    started = time.monotonic()
    engine.close()
    assert time.monotonic() - started < 2 and wait_gone(pid)


def test_a_new_model_replaces_the_engine_process(tiny_gguf: Path) -> None:
    events = Events()
    engine = LocalEngine(events)
    engine.load(tiny_gguf, threads=1)
    events.wait_for(ModelLoaded)
    first = engine.pid
    engine.load(tiny_gguf, threads=1)
    events.wait_for(ModelLoaded, 2)
    assert first is not None and engine.pid != first and wait_gone(first)
    engine.close()


def test_the_engine_never_outlives_its_app(tiny_gguf: Path, tmp_path: Path) -> None:
    """kill -9 of the process that started the engine: the engine ends by itself."""
    script = tmp_path / "owner.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import sys, time
            from models.local.client import LocalEngine
            from models.engine_client import ModelLoaded
            loaded = []
            engine = LocalEngine(lambda e: loaded.append(e))
            engine.load({str(tiny_gguf)!r}, threads=1)
            while not any(isinstance(e, ModelLoaded) for e in loaded):
                time.sleep(0.01)
            print(engine.pid, flush=True)
            time.sleep(60)
            """
        )
    )
    owner = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert owner.stdout is not None
    pid = int(owner.stdout.readline())
    assert alive(pid)
    owner.kill()
    owner.wait()
    assert wait_gone(pid, 2), "the engine process outlived the app"


def test_cancel_lands_within_a_token_and_queued_requests_never_run(
    tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support import engine_hooks

    engine_hooks.use(monkeypatch, "slow")
    events = Events()
    engine = LocalEngine(events)
    engine.load(tiny_gguf, threads=1)
    events.wait_for(ModelLoaded)
    running, queued = Events(), Events()
    first = GenerateRequest(TextSpec("Rain"), max_tokens=500)
    second = GenerateRequest(TextSpec("Snow"), max_tokens=500)
    engine.submit(first, running)
    engine.submit(second, queued, exclusive=False)
    deadline = time.monotonic() + 10
    while not any(hasattr(e, "text") for e in running.items) and time.monotonic() < deadline:
        time.sleep(0.01)
    engine.cancel()
    [a] = running.wait_for(Finished)
    [b] = queued.wait_for(Finished)
    assert a.cancelled and a.stats.generated_tokens < 500
    assert b.cancelled and not any(hasattr(e, "text") for e in queued.items)
    assert not engine.busy
    engine.close()


# -- crashes -----------------------------------------------------------------------------------


def test_a_crash_while_loading_restarts_in_safe_mode(
    tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CRASH_ENV, "load")
    events = Events()
    engine = LocalEngine(events)
    engine.load(tiny_gguf, threads=2)
    crashes = events.wait_for(EngineCrashed, 2)
    assert crashes[0].cause == "SIGSEGV" and crashes[0].during == "loading"
    assert crashes[0].restarting and "safe mode" in crashes[0].message
    assert not crashes[1].restarting and "this model file is damaged" in crashes[1].message
    assert not engine.ready
    got = Events()
    engine.submit(GenerateRequest(TextSpec("x")), got)
    [done] = got.wait_for(Finished)
    assert done.error == "the engine is stopped"
    engine.close()


async def test_app_survives_a_segfault_mid_stream_and_the_next_tab_works(
    tmp_path: Path, tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real SIGSEGV in the engine process (only while extra buffer types are in use, as the
    AMX crash): the editor keeps the typed and streamed text, says what happened, restarts the
    engine in safe mode, and the next Tab continues the text."""
    monkeypatch.setenv(CRASH_ENV, "generate-unsafe:6")
    path = tmp_path / "story.md"
    # cpu_repack on: extra buffer types whatever this CPU's probe says (on a CPU whose AMX code
    # really crashes, that crash is the one the app survives).
    settings = Settings(continue_tokens=40, cpu_repack="on")
    app = QuillpenApp(path, model=str(tiny_gguf), settings=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.model_name is not None, 30)
        first_pid = app.engine.pid
        await pilot.press(*"The keeper")
        await pilot.press("tab")
        # The journal was written before the engine ran: a crash cannot take the typed text.
        assert journal.read_journal(app.session.document.path) == "The keeper"
        await wait_until(pilot, lambda: app.status.state == "ready (safe mode)", 30)
        assert app.is_running
        text = app.editor.text
        assert text.startswith("The keeper") and len(text) > len("The keeper"), text
        notices = [n.message for n in app._notifications]
        assert any("crashed (SIGSEGV) while generating" in n for n in notices), notices
        assert not app.editor.generating
        assert first_pid is not None and app.engine.pid != first_pid and wait_gone(first_pid)
        await continued(pilot, app, "tab", timeout=30)
        assert len(app.editor.text) > len(text) and app.editor.text.startswith(text)
        assert app.editor.last_stats.generated_tokens == 40 and app.status.state.startswith("ready")
        await pilot.press("ctrl+z")
        assert app.editor.text == text  # the new continuation is one undo step


async def test_a_second_crash_leaves_the_engine_stopped_with_advice(
    tmp_path: Path, tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CRASH_ENV, "generate:3")
    app = QuillpenApp(tmp_path / "s.md", model=str(tiny_gguf), settings=Settings())
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.model_name is not None, 30)
        await pilot.press(*"One", "tab")
        await wait_until(pilot, lambda: app.status.state == "ready (safe mode)", 30)
        await pilot.press("tab")
        await wait_until(pilot, lambda: app.status.state == "engine stopped", 30)
        assert app.editor.text.startswith("One") and app.is_running
        notices = [n.message for n in app._notifications]
        assert any("stopped the engine after a second crash" in n for n in notices), notices
        await pilot.press("tab")  # no model: a notice, not a hang
        await pilot.pause()
        assert not app.editor.generating
        assert "No model is loaded" in [n.message for n in app._notifications][-1]


def test_engine_process_logs_go_to_a_file_not_the_terminal(
    tiny_gguf: Path, user_dirs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CRASH_ENV, "load")
    events = Events()
    engine = LocalEngine(events)
    engine.load(tiny_gguf)
    events.wait_for(EngineCrashed, 2)
    engine.close()
    log = user_dirs["state"] / "quillpen" / "engine.log"
    assert "Segmentation fault" in log.read_text(errors="replace")  # faulthandler's report


def test_signals_do_not_reach_the_engine_process(tiny_gguf: Path) -> None:
    """The engine runs in its own session: a terminal's SIGINT/SIGHUP go to the app only."""
    events = Events()
    engine = LocalEngine(events)
    engine.load(tiny_gguf, threads=1)
    events.wait_for(ModelLoaded)
    assert engine.pid is not None
    assert os.getsid(engine.pid) != os.getsid(0)
    engine.close()


# -- pacing: what the UI asks of the engine while it streams -----------------------------------


def slow_engine(model: Path, monkeypatch: pytest.MonkeyPatch) -> LocalEngine:
    """An engine process with a model loaded that writes about 100 pieces a second."""
    from tests.support import engine_hooks

    engine_hooks.use(monkeypatch, "slow")
    monkeypatch.setenv("QUILLPEN_TRIAL_PIECE_DELAY", "0.01")  # 60 pieces ≈ 0.6 s
    events = Events()
    engine = LocalEngine(events)
    engine.load(model, threads=1)
    events.wait_for(ModelLoaded)
    return engine


def test_the_flush_interval_sets_how_often_text_arrives(
    tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A UI with expensive redraws asks for fewer, larger chunks; the engine obliges."""
    engine = slow_engine(tiny_gguf, monkeypatch)
    counts = []
    for interval in (0.02, 0.3):
        engine.set_flush_interval(interval)
        got = Events()
        engine.submit(GenerateRequest(TextSpec("Rain"), SamplerSettings(seed=2), 60), got)
        [done] = got.wait_for(Finished)
        assert done.stats.generated_tokens == 60
        counts.append(sum(1 for e in got.items if hasattr(e, "text")))
    engine.close()
    fast, slow = counts
    assert slow <= 4 < 10 <= fast, counts


def test_typing_frees_a_core_for_a_moment(tiny_gguf: Path) -> None:
    """While the writer types, the engine decodes with one thread fewer; then all again."""
    import llama_cpp

    from models.local.frames import FrameWriter
    from models.local.process import EngineServer

    read_end, write_end = os.pipe()
    server = EngineServer(FrameWriter(write_end))
    engine = Engine.load(tiny_gguf, threads=2)
    ctx = engine.llm.ctx  # type: ignore[attr-defined]
    try:
        assert server._yield_to_typing(engine, 2) == 2
        server.typing_until = time.monotonic() + 0.2
        assert server._yield_to_typing(engine, 2) == 1
        assert llama_cpp.llama_n_threads(ctx) == 1
        time.sleep(0.25)
        assert server._yield_to_typing(engine, 1) == 2
        assert llama_cpp.llama_n_threads(ctx) == 2
    finally:
        engine.close()
        os.close(read_end)
        os.close(write_end)


def test_while_the_writer_types_streamed_text_waits(
    tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No chunk to draw while keys arrive (each draw would delay the next key's echo); with no
    core to spare (2 or fewer) the engine waits between tokens too; then it all arrives."""
    engine = slow_engine(tiny_gguf, monkeypatch)
    engine.set_flush_interval(0.02)
    got = Events()
    started = time.monotonic()
    engine.submit(GenerateRequest(TextSpec("Rain"), SamplerSettings(seed=2), 60), got)
    got.wait_for(Chunk)  # streaming
    typing_from = time.monotonic()
    seen = len(got.items)
    while time.monotonic() - typing_from < 1.0:  # a writer typing for a second
        engine.writer_active()
        time.sleep(0.05)
    typed_for = time.monotonic() - typing_from
    during = [e for e in got.items[seen:] if isinstance(e, Chunk)]
    [done] = got.wait_for(Finished)
    engine.close()
    assert len(during) <= 1, "a chunk already on its way may land; no more"
    assert done.stats.generated_tokens == 60
    if not SPARE_CORE:
        assert time.monotonic() - started > typed_for + 0.5, "the engine waited for the writer"


async def test_the_app_paces_the_engine_by_its_redraw_cost(
    tmp_path: Path, tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui.widgets.editor import FLUSH_MAX, FLUSH_MIN

    asked: list[float] = []
    original = LocalEngine.set_flush_interval

    def spy(self: LocalEngine, seconds: float) -> None:
        asked.append(seconds)
        original(self, seconds)

    monkeypatch.setattr(LocalEngine, "set_flush_interval", spy)
    app = QuillpenApp(tmp_path / "s.md", model=str(tiny_gguf), settings=Settings())
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.model_name is not None, 30)
        for _ in range(5):
            app.editor.pace(0.05)  # a slow terminal: each chunk took 50 ms to draw
        await wait_until(pilot, lambda: bool(asked) and asked[-1] == FLUSH_MAX)
        for _ in range(20):
            app.editor.pace(0.0005)  # a fast one
        await wait_until(pilot, lambda: asked[-1] <= FLUSH_MIN * 1.25)  # (20% steps)
        assert min(asked) >= FLUSH_MIN


def test_counts_tokens_with_the_models_tokenizer(tiny_gguf: Path) -> None:
    events = Events()
    engine = LocalEngine(events)
    engine.load(tiny_gguf, threads=1)
    events.wait_for(ModelLoaded)
    counted: list[int | None] = []
    done = threading.Event()
    engine.count_tokens("Hello world,", lambda n: (counted.append(n), done.set()))
    assert done.wait(10) and counted == [3]  # [15496, 995, 11]
    engine.close()
    engine.count_tokens("anything", counted.append)  # no engine: an answer, not a hang
    assert counted == [3, None]
