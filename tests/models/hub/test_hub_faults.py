"""What goes wrong pulling from the loopback fake Hub: unknown repos and files, 401, 500s,
a wrong checksum, cut connections, a full disk. Each one clear line, nothing half-written."""

from __future__ import annotations

import hashlib

import pytest

from models import locations
from tests.models.hub import test_hub
from tests.models.hub.test_hub import (
    CATALOG_REPO,
    GGUF_FILE,
    GGUF_REPO,
    WEIGHTS,
    assert_fails,
    assert_nothing_complete,
    assert_pulled,
    run_inproc,
    sha256_file,
    simulate_full_disk,
)
from tests.support.hubserver import FakeHub

# The loopback fake Hub of test_hub.py (pytest finds fixtures by module attribute).
fake_hub = test_hub.fake_hub
sleeps = test_hub.sleeps
official_files = test_hub.official_files
gguf_bytes = test_hub.gguf_bytes


# -- what goes wrong ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["nobody/missing", "nobody/missing:missing.Q8_0.gguf"],
    ids=["repo-id", "repo-file"],
)
def test_unknown_repo(fake_hub: FakeHub, capsys: pytest.CaptureFixture[str], name: str) -> None:
    run = run_inproc(capsys, "models", "pull", name, "--quant", "Q8_0")
    assert_fails(run, "nobody/missing", "repository not found")
    assert fake_hub.requests  # it did ask
    assert_nothing_complete()


@pytest.mark.parametrize("where", ["gguf-repo", "catalog"])
def test_missing_file(fake_hub: FakeHub, capsys: pytest.CaptureFixture[str], where: str) -> None:
    if where == "gguf-repo":
        run = run_inproc(capsys, "models", "pull", f"{GGUF_REPO}:nope.Q8_0.gguf")
        assert_fails(run, "nope.Q8_0.gguf", "file not found")
        assert_nothing_complete()
    else:
        fake_hub.fault(CATALOG_REPO, WEIGHTS, "404")
        run = run_inproc(capsys, "models", "pull", "gpt2", "--quant", "Q8_0")
        assert_fails(run, WEIGHTS, "file not found")
        assert_nothing_complete(fake_hub, CATALOG_REPO, WEIGHTS)


@pytest.mark.parametrize("how", ["file-401", "bad-token"])
def test_unauthorized(
    fake_hub: FakeHub,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    if how == "file-401":
        fake_hub.fault(GGUF_REPO, GGUF_FILE, "401")
    else:
        monkeypatch.setenv("HF_TOKEN", "hf_expiredOrMistyped")
    run = run_inproc(capsys, "models", "pull", f"{GGUF_REPO}:{GGUF_FILE}")
    assert_fails(run, "401", "HF_TOKEN")
    assert "hf_expiredOrMistyped" not in run.err + run.out
    assert_nothing_complete(fake_hub, GGUF_REPO, GGUF_FILE)


def test_server_error_every_time(
    fake_hub: FakeHub, capsys: pytest.CaptureFixture[str], sleeps: list[float]
) -> None:
    fake_hub.fault(CATALOG_REPO, WEIGHTS, "500")
    run = run_inproc(capsys, "models", "pull", "gpt2", "--quant", "Q8_0")
    assert_fails(run, WEIGHTS, "500", "try again")
    assert len(fake_hub.requests_for(WEIGHTS, method="HEAD")) > 1  # huggingface_hub retried
    assert sleeps  # with backoff (skipped here)
    assert_nothing_complete(fake_hub, CATALOG_REPO, WEIGHTS)


@pytest.mark.parametrize(
    ("name", "repo_id", "filename"),
    [
        (f"{GGUF_REPO}:{GGUF_FILE}", GGUF_REPO, GGUF_FILE),
        ("gpt2", CATALOG_REPO, WEIGHTS),
    ],
    ids=["gguf-repo", "catalog"],
)
def test_wrong_sha256_is_deleted_and_a_later_pull_works(
    fake_hub: FakeHub,
    capsys: pytest.CaptureFixture[str],
    name: str,
    repo_id: str,
    filename: str,
) -> None:
    fake_hub.fault(repo_id, filename, "bad-sha")
    run = run_inproc(capsys, "models", "pull", name, "--quant", "Q8_0")
    assert_fails(run, filename, "sha256 mismatch", "deleted")
    assert_nothing_complete(fake_hub, repo_id, filename)

    fake_hub.fault(repo_id, filename, None)
    path = assert_pulled(run_inproc(capsys, "models", "pull", name, "--quant", "Q8_0"))
    assert path.stat().st_size > 0


def test_connection_cut_once_resumes_with_range(
    fake_hub: FakeHub, capsys: pytest.CaptureFixture[str], official_files: dict[str, bytes]
) -> None:
    fake_hub.fault(CATALOG_REPO, WEIGHTS, "cut-once")
    path = assert_pulled(run_inproc(capsys, "models", "pull", "gpt2", "--quant", "Q8_0"))

    gets = [r for r in fake_hub.requests_for(WEIGHTS, method="GET") if r.server == "cdn"]
    assert len(gets) == 2
    assert gets[0].range is None
    assert gets[1].range is not None and gets[1].range.startswith("bytes=")
    assert int(gets[1].range.removeprefix("bytes=").rstrip("-")) > 0  # resumed, not restarted
    weights = hashlib.sha256(official_files[WEIGHTS]).hexdigest()
    blob = locations.hub_dir() / f"models--openai-community--gpt2/blobs/{weights}"
    assert sha256_file(blob) == weights
    from models.local.gguf_info import read_info

    assert read_info(path).n_ctx_train == 1024


def test_connection_cut_every_time(
    fake_hub: FakeHub, capsys: pytest.CaptureFixture[str], sleeps: list[float]
) -> None:
    fake_hub.fault(CATALOG_REPO, WEIGHTS, "cut-always")
    run = run_inproc(capsys, "models", "pull", "gpt2", "--quant", "Q8_0")
    assert_fails(run, WEIGHTS, "interrupted", "pull again")
    assert len(fake_hub.requests_for(WEIGHTS, method="GET")) > 2  # huggingface_hub retried
    assert_nothing_complete(fake_hub, CATALOG_REPO, WEIGHTS)

    fake_hub.fault(CATALOG_REPO, WEIGHTS, None)
    assert_pulled(run_inproc(capsys, "models", "pull", "gpt2", "--quant", "Q8_0"))


def test_disk_full_while_downloading(
    fake_hub: FakeHub, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    simulate_full_disk(monkeypatch)
    run = run_inproc(capsys, "models", "pull", "gpt2", "--quant", "Q8_0")
    assert_fails(run, "disk is full")
    assert_nothing_complete(fake_hub, CATALOG_REPO, "config.json")
