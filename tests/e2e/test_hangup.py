"""A dropped terminal ends quillpen within 2 s in every phase, text journaled, no child left.

Each test runs the real app in tmux, brings it to a phase, types something, then kills the
tmux server (what a dropped SSH link does to the pane: SIGHUP). Then, within 2 s, no process of
quillpen's (the app, its engine, a convert or quantize job) may be alive, no partial model file
may be left, and reopening the document must offer the typed text back.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import engine_hooks
import pytest
import test_hub
from hubserver import FakeHub
from tmux import Tmux, needs_tmux

from models.child_job import DELAY_ENV
from models.engine_process import CRASH_ENV
from tui.store.journal import read_journal

pytestmark = [pytest.mark.e2e, needs_tmux]

QUILLPEN = Path(sys.executable).with_name("quillpen")
TYPED = "Nothing typed is lost"
fake_hub = test_hub.fake_hub
sleeps = test_hub.sleeps
official_files = test_hub.official_files
gguf_bytes = test_hub.gguf_bytes


def family(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    out = [pid]
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                out += family(int(child))
    except OSError:
        pass
    return out


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def hang_up(tmux: Tmux, expect_children: int) -> float:
    """Kill the terminal; seconds until quillpen and all its children are gone (≤ 2 s)."""
    pids = family(tmux.app_pid())
    assert len(pids) >= 1 + expect_children, f"expected children running: {pids}"
    started = time.monotonic()
    tmux.stop()
    while any(map(alive, pids)):
        if time.monotonic() - started > 2.0:
            left = {p: Path(f"/proc/{p}/cmdline").read_bytes()[:80] for p in pids if alive(p)}
            raise AssertionError(f"still running 2 s after the hang-up: {left}")
        time.sleep(0.02)
    return time.monotonic() - started


def start(tmux: Tmux, story: Path, *args: str) -> None:
    tmux.start(f"{QUILLPEN} {story} {' '.join(args)}")
    tmux.wait_for(lambda s: "Editor" in s and "words" in s)


def typed(tmux: Tmux) -> None:
    tmux.type(TYPED)
    tmux.wait_for(lambda s: TYPED in s)


def pull_until_quantizing(tmux: Tmux) -> None:
    """F5, pull the fake Hub's checkpoint by repo id, wait for its quantize step."""
    tmux.keys("F5")
    tmux.wait_for(lambda s: "Nothing downloaded yet" in s)  # mounted, the name field focused
    for _ in range(2):  # name → quant → repo field (focus moves show nothing to wait for)
        tmux.keys("Tab")
        time.sleep(0.3)
    tmux.type(test_hub.OFFICIAL_REPO)
    tmux.wait_for(lambda s: test_hub.OFFICIAL_REPO in s)
    tmux.keys("Enter")
    tmux.wait_for(lambda s: "quantizing" in s, timeout=60)


def streaming(session: Callable[..., Tmux], story: Path, model: Path) -> Tmux:
    """The app, slowed, streaming a continuation of the typed text."""
    tmux = session(**{engine_hooks.HOOK_ENV: engine_hooks.spec("slow")})
    start(tmux, story, "--model", str(model))
    tmux.wait_for(lambda s: "│ ready" in s)
    typed(tmux)
    tmux.keys("Tab")
    tmux.wait_for(lambda s: "generating" in s)
    return tmux


def journal_of(story: Path) -> str | None:
    return read_journal(story)


@pytest.fixture
def session(tmp_path: Path, user_dirs: dict[str, Path]) -> Callable[..., Tmux]:
    made: list[Tmux] = []

    def make(**env: str) -> Tmux:
        full = {
            **os.environ,
            "TERM": "xterm-256color",
            **{f"XDG_{kind.upper()}_HOME": str(path) for kind, path in user_dirs.items()},
            **env,
        }
        tmux = Tmux(f"qph{os.getpid()}{len(made)}{tmp_path.name[-5:]}", full, tmp_path)
        made.append(tmux)
        return tmux

    yield make  # type: ignore[misc]
    for tmux in made:
        tmux.stop()


def test_while_the_model_loads(
    session: Callable[..., Tmux], tmp_path: Path, tiny_gguf: Path
) -> None:
    story = tmp_path / "story.md"
    tmux = session(**{engine_hooks.HOOK_ENV: engine_hooks.spec("slow_load")})
    start(tmux, story, "--model", str(tiny_gguf))
    tmux.wait_for(lambda s: "loading" in s)
    typed(tmux)
    assert "loading" in tmux.screen(), "the hang-up must land while the model loads"
    hang_up(tmux, expect_children=1)
    assert journal_of(story) == TYPED


def test_while_text_streams(session: Callable[..., Tmux], tmp_path: Path, tiny_gguf: Path) -> None:
    story = tmp_path / "story.md"
    tmux = streaming(session, story, tiny_gguf)
    time.sleep(0.3)
    hang_up(tmux, expect_children=1)
    journal = journal_of(story)
    assert journal is not None and journal.startswith(TYPED) and len(journal) > len(TYPED)


@pytest.mark.parametrize(
    ("key", "shown"),
    [("C-o", "unsaved changes"), ("F5", "Download from the Hub"), ("F1", "quillpen keys")],
)
def test_with_a_dialog_or_screen_open(
    session: Callable[..., Tmux], tmp_path: Path, tiny_gguf: Path, key: str, shown: str
) -> None:
    story = tmp_path / "story.md"
    tmux = session()
    start(tmux, story, "--model", str(tiny_gguf))
    tmux.wait_for(lambda s: "│ ready" in s)
    typed(tmux)
    tmux.keys(key)
    tmux.wait_for(lambda s: shown in s)
    hang_up(tmux, expect_children=1)
    assert journal_of(story) == TYPED


def test_while_the_engine_restarts_after_a_crash(
    session: Callable[..., Tmux], tmp_path: Path, tiny_gguf: Path
) -> None:
    story = tmp_path / "story.md"
    hook = engine_hooks.spec("slow_safe_load")  # the restart after the crash takes a while
    tmux = session(**{CRASH_ENV: "generate:2", engine_hooks.HOOK_ENV: hook})
    start(tmux, story, "--model", str(tiny_gguf))
    tmux.wait_for(lambda s: "│ ready" in s, timeout=30)
    typed(tmux)
    tmux.keys("Tab")
    tmux.wait_for(lambda s: "restarting" in s or "loading" in s, timeout=30)
    hang_up(tmux, expect_children=1)
    journal = journal_of(story)
    assert journal is not None and journal.startswith(TYPED)


def test_while_a_pull_quantizes(
    session: Callable[..., Tmux], tmp_path: Path, fake_hub: FakeHub, tiny_gguf: Path
) -> None:
    """F5, pull a checkpoint by repo id: convert, then a quantize that takes a minute."""
    story = tmp_path / "story.md"
    tmux = session(**{DELAY_ENV: "60"})
    start(tmux, story)
    typed(tmux)
    pull_until_quantizing(tmux)
    models = Path(os.environ.get("XDG_CACHE_HOME", "")) / "quillpen" / "models"
    deadline = time.monotonic() + 10
    while not list(models.rglob("*.partial")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(models.rglob("*.partial")), "the quantize job has its partial file"
    hang_up(tmux, expect_children=1)
    assert not list(models.rglob("*.partial")), "no partial model file stays in the cache"
    assert journal_of(story) == TYPED


def test_the_cli_pull_ends_its_job_on_a_hang_up(
    session: Callable[..., Tmux], tmp_path: Path, fake_hub: FakeHub
) -> None:
    tmux = session(**{DELAY_ENV: "60"})
    tmux.start(f"{QUILLPEN} models pull {test_hub.OFFICIAL_REPO} --quant Q8_0")
    tmux.wait_for(lambda s: "quantizing" in s, timeout=60)
    models = Path(os.environ.get("XDG_CACHE_HOME", "")) / "quillpen" / "models"
    hang_up(tmux, expect_children=1)
    assert not list(models.rglob("*.partial"))


def test_ctrl_q_while_the_model_loads_quits_at_once(
    session: Callable[..., Tmux], tmp_path: Path, tiny_gguf: Path
) -> None:
    """Quitting never waits for the engine: a 20 s load is abandoned, its process ended."""
    story = tmp_path / "story.md"
    story.write_text("Saved already.\n")
    tmux = session(**{engine_hooks.HOOK_ENV: engine_hooks.spec("slow_load")})
    start(tmux, story, "--model", str(tiny_gguf))
    tmux.wait_for(lambda s: "loading" in s)
    pids = family(tmux.app_pid())
    assert len(pids) >= 2, "the engine process is loading"
    started = time.monotonic()
    tmux.keys("C-q")
    assert tmux.wait_exit(timeout=5) == 0
    while any(map(alive, pids)):
        assert time.monotonic() - started < 2.0, "the engine outlived Ctrl+Q"
        time.sleep(0.02)


def test_ctrl_q_during_a_download_quits_at_once(
    session: Callable[..., Tmux], tmp_path: Path, fake_hub: FakeHub
) -> None:
    """A pull in progress (held at the Hub) does not hold up Ctrl+Q."""
    tmux = session(**{DELAY_ENV: "60"})
    start(tmux, tmp_path / "story.md")
    pull_until_quantizing(tmux)
    pids = family(tmux.app_pid())
    started = time.monotonic()
    tmux.keys("C-q")
    assert tmux.wait_exit(timeout=5) == 0
    assert time.monotonic() - started < 2.0
    while any(map(alive, pids)):
        assert time.monotonic() - started < 2.0, "a job outlived Ctrl+Q"
        time.sleep(0.02)
    models = Path(os.environ.get("XDG_CACHE_HOME", "")) / "quillpen" / "models"
    assert not list(models.rglob("*.partial"))


def test_sigterm_ends_it_the_same_way(
    session: Callable[..., Tmux], tmp_path: Path, tiny_gguf: Path
) -> None:
    import signal

    story = tmp_path / "story.md"
    tmux = streaming(session, story, tiny_gguf)
    pids = family(tmux.app_pid())
    assert len(pids) >= 2
    started = time.monotonic()
    os.kill(pids[0], signal.SIGTERM)
    while any(map(alive, pids)):
        assert time.monotonic() - started < 2.0, "still running 2 s after SIGTERM"
        time.sleep(0.02)
    journal = journal_of(story)
    assert journal is not None and journal.startswith(TYPED)
