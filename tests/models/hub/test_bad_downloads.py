"""Downloads that fail (what every bad-input test checks: see bad_input.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.models.hub import test_hub
from tests.models.hub.test_hub import (
    CATALOG_REPO,
    GGUF_FILE,
    GGUF_REPO,
    WEIGHTS,
    assert_nothing_complete,
)
from tests.support.bad_input import assert_words, run_cli

# The loopback fake Hub of test_hub.py, reused here (pytest finds fixtures by module attribute).
fake_hub = test_hub.fake_hub
sleeps = test_hub.sleeps
official_files = test_hub.official_files
gguf_bytes = test_hub.gguf_bytes


HUB_CASES = [
    # (id, repo, file, fault, pull arguments, words)
    ("401", GGUF_REPO, GGUF_FILE, "401", (f"{GGUF_REPO}:{GGUF_FILE}",), ("401", "HF_TOKEN")),
    ("404", GGUF_REPO, GGUF_FILE, None, (f"{GGUF_REPO}:nope.Q8_0.gguf",), ("file not found",)),
    ("500", CATALOG_REPO, WEIGHTS, "500", ("gpt2",), ("500", "try again")),
    ("cut-mid-file", CATALOG_REPO, WEIGHTS, "cut-always", ("gpt2",), ("interrupted",)),
    ("wrong-sha256", GGUF_REPO, GGUF_FILE, "bad-sha", (f"{GGUF_REPO}:{GGUF_FILE}",), ("sha256",)),
    ("unknown-repo", GGUF_REPO, GGUF_FILE, None, ("nobody/missing",), ("repository not found",)),
    ("offline-no-cache", CATALOG_REPO, WEIGHTS, None, ("gpt2", "--offline"), ("offline",)),
    ("disk-full", CATALOG_REPO, WEIGHTS, "disk-full", ("gpt2",), ("disk is full",)),
]


@pytest.mark.parametrize(
    ("repo", "filename", "fault", "args", "words"),
    [c[1:] for c in HUB_CASES],
    ids=[c[0] for c in HUB_CASES],
)
def test_bad_download(
    fake_hub: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    repo: str,
    filename: str,
    fault: str | None,
    args: tuple[str, ...],
    words: tuple[str, ...],
) -> None:
    if fault == "disk-full":
        test_hub.simulate_full_disk(monkeypatch)
    elif fault:
        fake_hub.fault(repo, filename, fault)
    run = run_cli(capsys, "models", "pull", *args, "--quant", "Q8_0")
    assert run.rc == 1 and "Traceback" not in run.out + run.err
    line = [ln for ln in run.err.splitlines() if ln.strip()][-1]  # after pull's progress lines
    assert line.startswith("quillpen: ")
    assert_words(line, *words)
    assert run.out == ""
    if "--offline" in args:
        assert fake_hub.requests == []
    assert_nothing_complete(fake_hub if fault and fault != "disk-full" else None, repo, filename)
