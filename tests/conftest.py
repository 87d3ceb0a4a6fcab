"""Shared fixtures: private user directories for every test, and tiny real GPT-2 models."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from tinymodel import make_checkpoint
from tmux import Tmux


@pytest.fixture(scope="session")
def cpu_probe_cache(tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    """On a CPU with AMX, the safe-mode probe's answer, found once for the whole run (each test
    has its own state dir, and every engine process would probe again)."""
    from models import cpu_probe

    if not cpu_probe.has_amx(cpu_probe.system_info()):
        return None
    state = tmp_path_factory.mktemp("probe-state")
    saved = os.environ.get("XDG_STATE_HOME")
    os.environ["XDG_STATE_HOME"] = str(state)
    try:
        cpu_probe.decide("auto")
    finally:
        if saved is None:
            os.environ.pop("XDG_STATE_HOME", None)
        else:
            os.environ["XDG_STATE_HOME"] = saved
    found = state / "quillpen" / cpu_probe.CACHE_NAME
    return found if found.exists() else None


@pytest.fixture(autouse=True)
def user_dirs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cpu_probe_cache: Path | None
) -> Iterator[dict[str, Path]]:
    """Point every platformdirs location at a fresh temp folder; never touch the real home."""
    dirs = {}
    for kind in ("CACHE", "CONFIG", "DATA", "STATE"):
        path = tmp_path / f"xdg-{kind.lower()}"
        monkeypatch.setenv(f"XDG_{kind}_HOME", str(path))
        dirs[kind.lower()] = path
    if cpu_probe_cache is not None:  # (AMX machines only)
        seeded = dirs["state"] / "quillpen" / cpu_probe_cache.name
        seeded.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        seeded.write_bytes(cpu_probe_cache.read_bytes())
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    yield dirs


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer, 64-wide GPT-2 with random weights and the real tokenizer, in the Hub's layout."""
    return make_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny-gpt2")


@pytest.fixture(scope="session")
def tiny_gguf(tiny_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model converted to a Q8_0 GGUF."""
    from models.convert import convert

    return convert(tiny_checkpoint, tmp_path_factory.mktemp("gguf") / "tiny.Q8_0.gguf", "q8_0")


@pytest.fixture(scope="session")
def tiny_engine(tiny_gguf: Path):  # type: ignore[no-untyped-def]
    """One loaded engine shared by the tests that only generate."""
    from models.engine import Engine

    engine = Engine.load(tiny_gguf)
    yield engine
    engine.close()


@pytest.fixture
def tmux(tmp_path: Path, user_dirs: dict[str, Path]) -> Iterator[Tmux]:
    # Spelled out (conftest already set them in os.environ): the app must never see the
    # real home's state dir, where the journal lives.
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        **{f"XDG_{kind.upper()}_HOME": str(path) for kind, path in user_dirs.items()},
    }
    session = Tmux(f"qpt{os.getpid()}{tmp_path.name[-6:]}", env, tmp_path)
    yield session
    session.stop()


@pytest.fixture
def submitted(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every GenerateRequest the app hands its engine client (which still serves it)."""
    from models.local_engine import LocalEngine

    sent: list[object] = []
    original = LocalEngine.submit

    def spy(self: LocalEngine, request: object, *args: object, **kwargs: object) -> int:
        sent.append(request)
        return original(self, request, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(LocalEngine, "submit", spy)
    return sent
