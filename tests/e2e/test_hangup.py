"""A dropped terminal ends quillpen within 2 s in every phase, text journaled, no child left.

Each test runs the real app in tmux, brings it to a phase, types something, then kills the
tmux server (what a dropped SSH link does to the pane: SIGHUP, with SIGCONT). Then, within 2 s,
no process of quillpen's (the app, its engine, a convert or quantize job) may be alive, no
partial model file may be left, and reopening the document must offer the typed text back.
Every process a test starts carries a tag in its environment, so that one started after the
hang-up, or no longer below the app, is found too.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from models.hub.child_job import CONVERT_DELAY_ENV, DELAY_ENV
from models.local.process import CRASH_ENV
from tests.models.hub import test_hub
from tests.support import engine_hooks
from tests.support.hubserver import FakeHub
from tests.support.tmux import Tmux, needs_tmux
from tui.hangup import HARD_EXIT_ENV
from tui.store.journal import read_journal, write_journal

pytestmark = [pytest.mark.e2e, needs_tmux]

QUILLPEN = Path(sys.executable).with_name("quillpen")
HOOKED = f"{sys.executable} {Path(__file__).parents[1] / 'trials' / 'hooked_quillpen.py'}"
"""quillpen whose engine runs QUILLPEN_TEST_ENGINE_HOOK (the shipped one never does)."""
TYPED = "Nothing typed is lost"
TAG_ENV = "QUILLPEN_TEST_HANGUP_TAG"
EARLY_TRIALS = 8
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


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()[:100].replace(b"\0", b" ").decode()
    except OSError:
        return "(gone)"


def tagged(tmux: Tmux) -> list[int]:
    """Live processes started in ``tmux``'s session (tmux's own aside), wherever they are now."""
    marker = f"{TAG_ENV}={tmux.env[TAG_ENV]}".encode()
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if not proc.name.isdigit() or (proc / "comm").read_text().startswith("tmux"):
                continue
            if marker in (proc / "environ").read_bytes().split(b"\0"):
                found.append(int(proc.name))
        except OSError:
            pass
    return [pid for pid in found if alive(pid)]


def gone_within_2s(tmux: Tmux, pids: list[int], started: float) -> float:
    """Wait until ``pids`` and every process of ``tmux``'s session have ended (≤ 2 s)."""
    while any(map(alive, pids)) or tagged(tmux):
        if time.monotonic() - started > 2.0:
            left = {p: cmdline(p) for p in pids + tagged(tmux) if alive(p)}
            raise AssertionError(f"still running 2 s after the hang-up: {left}")
        time.sleep(0.02)
    return time.monotonic() - started


def hang_up(tmux: Tmux, expect_children: int) -> float:
    """Kill the terminal; seconds until quillpen and all its children are gone (≤ 2 s)."""
    pids = family(tmux.app_pid())
    assert len(pids) >= 1 + expect_children, f"expected children running: {pids}"
    started = time.monotonic()
    tmux.stop()
    return gone_within_2s(tmux, pids, started)


def start(tmux: Tmux, story: Path, *args: str) -> None:
    command = HOOKED if engine_hooks.HOOK_ENV in tmux.env else QUILLPEN
    tmux.start(f"{command} {story} {' '.join(args)}")
    tmux.wait_for(lambda s: "Editor" in s and "words" in s)


def typed(tmux: Tmux) -> None:
    tmux.type(TYPED)
    tmux.wait_for(lambda s: TYPED in s)


def start_pull(tmux: Tmux) -> None:
    """F5, pull the fake Hub's checkpoint by repo id."""
    tmux.keys("F5")
    tmux.wait_for(lambda s: "Nothing downloaded yet" in s)  # mounted, the name field focused
    for _ in range(2):  # name → quant → repo field (focus moves show nothing to wait for)
        tmux.keys("Tab")
        time.sleep(0.3)
    tmux.type(test_hub.OFFICIAL_REPO)
    tmux.wait_for(lambda s: test_hub.OFFICIAL_REPO in s)
    tmux.keys("Enter")


def pull_until_quantizing(tmux: Tmux, step: str = "quantizing") -> None:
    """F5, pull the fake Hub's checkpoint by repo id, wait for its ``step``."""
    start_pull(tmux)
    tmux.wait_for(lambda s: step in s, timeout=60)


def after_typed(screen: str) -> str:
    """What the screen shows after the typed text on its line (borders and blanks aside)."""
    line = next((line for line in screen.splitlines() if TYPED in line), "")
    rest = line.split(TYPED, 1)[1] if TYPED in line else ""
    return "".join(c for c in rest if not c.isspace() and not "\u2500" <= c <= "\u259f")


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
        name = f"qph{os.getpid()}{len(made)}{tmp_path.name[-5:]}"
        tmux = Tmux(name, {**full, TAG_ENV: name}, tmp_path)
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


@pytest.mark.parametrize("last_resort", ["default", "late"])
def test_right_after_the_first_frame(
    session: Callable[..., Tmux], tmp_path: Path, tiny_gguf: Path, last_resort: str
) -> None:
    """The issue's window: the first frame is up, the model about to load (its engine process
    being started), a few ms in. With the last resort (tui.hangup) put off to 30 s, the orderly
    exit alone must end everything in time. A crash left text in the journal: it stays."""
    env = {HARD_EXIT_ENV: "30"} if last_resort == "late" else {}
    for trial in range(EARLY_TRIALS):
        story = tmp_path / f"story{trial}.md"
        write_journal(story, TYPED)
        tmux = session(**env)
        tmux.start(f"{QUILLPEN} {story} --model {tiny_gguf}")
        tmux.wait_for(lambda s: bool(s.strip()), interval=0.002)
        time.sleep(trial * 0.02)
        started = time.monotonic()
        tmux.stop()
        gone_within_2s(tmux, [], started)
        assert journal_of(story) == TYPED, f"trial {trial}"


def test_while_the_engine_process_starts(
    session: Callable[..., Tmux], tmp_path: Path, tiny_gguf: Path
) -> None:
    """The engine process is up but not serving yet (its start-up held for a minute), so it
    cannot notice the app going: the app must end it."""
    hook = tmp_path / "slow_start.py"
    hook.write_text("import time\n\n\ndef start() -> None:\n    time.sleep(60)\n")
    story = tmp_path / "story.md"
    tmux = session(**{engine_hooks.HOOK_ENV: f"{hook}:start"})
    start(tmux, story, "--model", str(tiny_gguf))
    tmux.wait_for(lambda s: "loading" in s)
    typed(tmux)
    hang_up(tmux, expect_children=1)
    assert journal_of(story) == TYPED


def test_while_text_streams(session: Callable[..., Tmux], tmp_path: Path, tiny_gguf: Path) -> None:
    story = tmp_path / "story.md"
    tmux = streaming(session, story, tiny_gguf)
    tmux.wait_for(lambda s: bool(after_typed(s)))  # streamed words are on screen
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


@pytest.mark.parametrize(
    ("delay", "step"), [(CONVERT_DELAY_ENV, "converting"), (DELAY_ENV, "quantizing")]
)
def test_while_a_pull_converts_or_quantizes(
    session: Callable[..., Tmux],
    tmp_path: Path,
    fake_hub: FakeHub,
    tiny_gguf: Path,
    delay: str,
    step: str,
) -> None:
    """F5, pull a checkpoint by repo id: its convert, or its quantize, takes a minute."""
    story = tmp_path / "story.md"
    tmux = session(**{delay: "60"})
    start(tmux, story)
    typed(tmux)
    pull_until_quantizing(tmux, step)
    models = Path(os.environ.get("XDG_CACHE_HOME", "")) / "quillpen" / "models"
    deadline = time.monotonic() + 10
    while not list(models.rglob("*.partial")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(models.rglob("*.partial")), "the quantize job has its partial file"
    hang_up(tmux, expect_children=1)
    assert not list(models.rglob("*.partial")), "no partial model file stays in the cache"
    assert journal_of(story) == TYPED


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


def test_ctrl_q_during_a_quantize_quits_at_once(
    session: Callable[..., Tmux], tmp_path: Path, fake_hub: FakeHub
) -> None:
    """A pull in progress (its quantize job slowed) does not hold up Ctrl+Q."""
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
    story = tmp_path / "story.md"
    tmux = streaming(session, story, tiny_gguf)
    pids = family(tmux.app_pid())
    assert len(pids) >= 2
    started = time.monotonic()
    os.kill(pids[0], signal.SIGTERM)
    gone_within_2s(tmux, pids, started)
    journal = journal_of(story)
    assert journal is not None and journal.startswith(TYPED)
