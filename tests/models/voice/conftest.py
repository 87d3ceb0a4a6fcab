"""One voice trained for real on a tiny GPT-2, shared by the tests that only read it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.tinymodel import make_checkpoint
from tests.support.voice import cli_env, quillpen, write_poems

FAST = ("--quant", "F32", "--window", "32", "--lr", "3e-3", "--eval-every", "8")


@dataclass(frozen=True)
class Trained:
    home: Path
    base: Path
    corpus: Path
    stderr: str
    model: Path


@pytest.fixture(scope="session")
def voice_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer, 32-wide GPT-2 (real tokenizer) with a 64-token window."""
    return make_checkpoint(
        tmp_path_factory.mktemp("vbase") / "tiny", n_embd=32, n_layer=2, n_head=2, n_ctx=64
    )


@pytest.fixture(scope="session")
def poems(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_poems(tmp_path_factory.mktemp("poems") / "poems")


@pytest.fixture(scope="session")
def trained(voice_base: Path, poems: Path, tmp_path_factory: pytest.TempPathFactory) -> Trained:
    home = tmp_path_factory.mktemp("vhome")
    done = quillpen(
        home,
        "voice",
        "train",
        "foxes",
        "--base",
        str(voice_base),
        str(poems),
        *FAST,
        "--epochs",
        "1",
        "--adapter",
        "--sample-every",
        "16",
    )
    assert done.returncode == 0, done.stderr
    return Trained(home, voice_base, poems, done.stderr, Path(done.stdout.strip()))


@pytest.fixture
def in_home(trained: Trained, monkeypatch: pytest.MonkeyPatch) -> Iterator[Trained]:
    """The test process sees the trained voice's folders (as the CLI did)."""
    for key, value in cli_env(trained.home).items():
        if key.startswith("XDG_"):
            monkeypatch.setenv(key, value)
    yield trained
