"""A dropped terminal, SIGTERM or Ctrl+Q in the middle of a download: quillpen ends within 2 s,
and no partial download is left (or the next pull removes it)."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from models.hub.child_job import DELAY_ENV
from tests.e2e import test_hangup
from tests.e2e.test_hangup import (
    QUILLPEN,
    TYPED,
    family,
    gone_within_2s,
    hang_up,
    journal_of,
    start,
    start_pull,
    typed,
)
from tests.models.hub import test_hub
from tests.support.hubserver import FakeHub, Hold
from tests.support.tmux import Tmux, needs_tmux
from tui.hangup import HARD_EXIT_ENV

pytestmark = [pytest.mark.e2e, needs_tmux]
# The tmux session and the loopback fake Hub (pytest finds fixtures by module attribute).
session = test_hangup.session
fake_hub = test_hub.fake_hub
sleeps = test_hub.sleeps
official_files = test_hub.official_files
gguf_bytes = test_hub.gguf_bytes


# -- in the middle of a download -------------------------------------------------------------

WEIGHTS = "model.safetensors"
PULL_CLI = f"{QUILLPEN} models pull {test_hub.OFFICIAL_REPO} --quant Q8_0"


def cache() -> Path:
    return Path(os.environ["XDG_CACHE_HOME"]) / "quillpen"


def hold_weights(hub: FakeHub) -> Hold:
    """The fake Hub will hold the checkpoint's weights half-way (more than 10 MiB: the client
    writes, and reports, what it got in 10 MiB chunks)."""
    hold = hub.hold(test_hub.OFFICIAL_REPO, WEIGHTS)
    assert hold.at > 10 << 20
    return hold


def downloading(hold: Hold) -> Path:
    """Wait until the client has written the first part of the held file; that partial file."""
    hold.wait_reached(timeout=60)
    deadline = time.monotonic() + 10
    while True:
        with contextlib.suppress(OSError):  # (one may vanish between listing and stat)
            partial = [p for p in cache().rglob("*.incomplete") if p.stat().st_size > 0]
            if partial:
                return partial[0]
        assert time.monotonic() < deadline, f"no partial download in {sorted(cache().rglob('*'))}"
        time.sleep(0.05)


def leftovers(hub: FakeHub) -> list[Path]:
    """Files in quillpen's cache that are not a complete download: in the Hub cache, anything
    but a blob with a served file's name and size (and its snapshot link, the ref, locks, the
    cache tag); in the models folder, anything at all but a ready .gguf."""
    served = {
        (f.sha256 if f.lfs else f.git_sha1): f.size
        for f in hub.repos[test_hub.OFFICIAL_REPO].files.values()
    }
    left = []
    for path in cache().rglob("*"):
        if path.is_dir():
            continue
        rel = path.relative_to(cache()).parts
        if rel[0] == "models":
            ok = path.suffix == ".gguf"
        elif path.is_symlink():
            ok = "snapshots" in rel and path.resolve().is_file()
        elif len(rel) > 2 and rel[2] == "blobs":
            ok = served.get(path.name) == path.stat().st_size
        else:
            ok = rel[-1] == "CACHEDIR.TAG" or "refs" in rel or rel[1] == ".locks"
        if not ok:
            left.append(path)
    return left


def pull_again_works(hub: FakeHub) -> None:
    """With the Hub no longer holding anything, the same pull succeeds and leaves nothing."""
    hold = hub.file(test_hub.OFFICIAL_REPO, WEIGHTS).hold
    assert hold is not None
    hold.release()
    path = test_hub.assert_pulled(
        test_hub.run_cli("models", "pull", test_hub.OFFICIAL_REPO, "--quant", "Q8_0")
    )
    assert path.stat().st_size > 0
    assert leftovers(hub) == []


@pytest.mark.parametrize("last_resort", ["default", "late"])
def test_while_a_pull_downloads(
    session: Callable[..., Tmux], tmp_path: Path, fake_hub: FakeHub, last_resort: str
) -> None:
    """F5, pull a checkpoint by repo id: the Hub holds its weights half-way. With the last resort
    put off to 30 s, the orderly exit alone must end quillpen in time, the download thread
    still waiting for bytes."""
    story = tmp_path / "story.md"
    hold = hold_weights(fake_hub)
    tmux = session(**({HARD_EXIT_ENV: "30"} if last_resort == "late" else {}))
    start(tmux, story)
    typed(tmux)
    start_pull(tmux)
    partial = downloading(hold)
    tmux.wait_for(lambda s: re.search(rf"{WEIGHTS}: [1-9][0-9.]* of [0-9.]+ MB", s) is not None)
    assert leftovers(fake_hub) == [partial], "the download is in progress"
    hang_up(tmux, expect_children=0)
    assert journal_of(story) == TYPED
    assert leftovers(fake_hub) == [], "no partial download stays in the cache"
    pull_again_works(fake_hub)


@pytest.mark.parametrize("how", ["hang-up", "SIGTERM"])
def test_the_cli_pull_leaves_no_partial_download(
    session: Callable[..., Tmux], fake_hub: FakeHub, how: str
) -> None:
    hold = hold_weights(fake_hub)
    tmux = session()
    tmux.start(PULL_CLI)
    partial = downloading(hold)
    assert leftovers(fake_hub) == [partial], "the download is in progress"
    if how == "hang-up":
        hang_up(tmux, expect_children=0)
    else:
        pid = tmux.app_pid()
        started = time.monotonic()
        os.kill(pid, signal.SIGTERM)
        gone_within_2s(tmux, [pid], started)
        assert tmux.wait_exit(timeout=5) == 128 + signal.SIGTERM
    assert leftovers(fake_hub) == [], "no partial download stays in the cache"
    pull_again_works(fake_hub)


def test_a_download_killed_outright_is_removed_by_the_next_pull(
    session: Callable[..., Tmux], fake_hub: FakeHub
) -> None:
    """``kill -9`` leaves no handler to run: huggingface_hub's partial file stays (no later pull
    would ever use it), until the next pull, which finds that nobody holds its lock."""
    hold = hold_weights(fake_hub)
    tmux = session()
    tmux.start(PULL_CLI)
    partial = downloading(hold)
    pid = tmux.app_pid()
    started = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    gone_within_2s(tmux, [pid], started)
    assert leftovers(fake_hub) == [partial], "killed outright, it could not tidy up"
    pull_again_works(fake_hub)


def test_tidying_up_never_touches_another_pulls_download(
    session: Callable[..., Tmux], fake_hub: FakeHub
) -> None:
    """A second pull of the same model while the first downloads neither removes the first
    one's partial file as it starts (its lock is held) nor when it is ended itself."""
    hold = hold_weights(fake_hub)
    first = session()
    first.start(PULL_CLI)
    partial = downloading(hold)
    second = session()
    second.start(PULL_CLI)
    deadline = time.monotonic() + 30
    while len(fake_hub.requests_for(WEIGHTS, method="HEAD")) < 2:  # it tidied up, then asked
        assert time.monotonic() < deadline, "the second pull never reached the weights"
        time.sleep(0.05)
    assert partial.exists()
    pid = second.app_pid()
    started = time.monotonic()
    os.kill(pid, signal.SIGTERM)
    gone_within_2s(second, [pid], started)
    assert partial.exists(), "the first pull's download is left alone"
    hold.release()
    assert first.wait_exit(timeout=120) == 0
    assert leftovers(fake_hub) == []


def test_the_cli_pull_ends_its_job_on_a_hang_up(
    session: Callable[..., Tmux], tmp_path: Path, fake_hub: FakeHub
) -> None:
    tmux = session(**{DELAY_ENV: "60"})
    tmux.start(f"{QUILLPEN} models pull {test_hub.OFFICIAL_REPO} --quant Q8_0")
    tmux.wait_for(lambda s: "quantizing" in s, timeout=60)
    models = Path(os.environ.get("XDG_CACHE_HOME", "")) / "quillpen" / "models"
    hang_up(tmux, expect_children=1)
    assert not list(models.rglob("*.partial"))


def test_a_job_ends_by_itself_when_the_app_is_killed(
    session: Callable[..., Tmux], tmp_path: Path, fake_hub: FakeHub
) -> None:
    """``kill -9`` leaves no handler to run: the quantize job sees its pipe to the app close,
    removes its partial file and exits."""
    tmux = session(**{DELAY_ENV: "60"})
    tmux.start(f"{QUILLPEN} models pull {test_hub.OFFICIAL_REPO} --quant Q8_0")
    tmux.wait_for(lambda s: "quantizing" in s, timeout=60)
    models = Path(os.environ.get("XDG_CACHE_HOME", "")) / "quillpen" / "models"
    deadline = time.monotonic() + 10
    while not list(models.rglob("*.partial")) and time.monotonic() < deadline:
        time.sleep(0.05)
    pids = family(tmux.app_pid())
    assert len(pids) >= 2 and list(models.rglob("*.partial")), "the job is running"
    started = time.monotonic()
    os.kill(pids[0], signal.SIGKILL)
    gone_within_2s(tmux, pids, started)
    assert not list(models.rglob("*.partial"))


def test_ctrl_q_during_a_download_quits_at_once(
    session: Callable[..., Tmux], tmp_path: Path, fake_hub: FakeHub
) -> None:
    """The Hub holds the weights half-way: Ctrl+Q does not wait for the next bytes, and what
    the download wrote so far goes with it."""
    story = tmp_path / "story.md"
    story.write_text("saved")
    hold = hold_weights(fake_hub)
    tmux = session(**{HARD_EXIT_ENV: "30"})  # the orderly exit alone must be quick
    start(tmux, story)
    start_pull(tmux)
    partial = downloading(hold)
    assert leftovers(fake_hub) == [partial], "the download is in progress"
    pids = family(tmux.app_pid())
    started = time.monotonic()
    tmux.keys("C-q")
    assert tmux.wait_exit(timeout=5) == 0
    gone_within_2s(tmux, pids, started)
    assert leftovers(fake_hub) == [], "no partial download stays in the cache"
