"""Shared fixtures: private user directories for every test, and tiny real GPT-2 models."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.tinymodel import make_checkpoint
from tests.support.tmux import Tmux

_LLAMA_SERVER_BUILD: list[str] = []
"""Why llama-server could not be built (for its fixture to fail with), if it could not."""


def pytest_collection_finish(session: pytest.Session) -> None:
    """Build llama.cpp's llama-server before the tests that need it (once per llama-cpp-python
    version, cached: tests/support/llama_server.py), outside any test's timeout."""
    wanted = {"llama_server_binary", "real_server"}  # (real_server asks for it by name)
    if session.config.option.collectonly or not any(
        wanted & set(getattr(i, "fixturenames", ())) for i in session.items
    ):
        return
    from tests.support.llama_server import BuildFailed, binary

    reporter = session.config.pluginmanager.get_plugin("terminalreporter")

    def report(line: str) -> None:
        if reporter is not None:
            reporter.write_line(line)

    try:
        binary(report)
    except (BuildFailed, OSError) as exc:
        _LLAMA_SERVER_BUILD.append(str(exc))


@pytest.fixture(scope="session")
def cpu_probe_cache(tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    """On a CPU with AMX, the safe-mode probe's answer, found once for the whole run (each test
    has its own state dir, and every engine process would probe again)."""
    from models.local import cpu_probe

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
    if (voice_job := sys.modules.get("tui.voice_job")) is not None:
        voice_job.current = None  # (the process's voice job: one test's never shows in the next)


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer, 64-wide GPT-2 with random weights and the real tokenizer, in the Hub's layout."""
    return make_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny-gpt2")


@pytest.fixture(scope="session")
def tiny_gguf(tiny_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model converted to a Q8_0 GGUF."""
    from models.hub.convert import convert

    return convert(tiny_checkpoint, tmp_path_factory.mktemp("gguf") / "tiny.Q8_0.gguf", "q8_0")


@pytest.fixture(scope="session")
def tiny_engine(tiny_gguf: Path):  # type: ignore[no-untyped-def]
    """One loaded engine shared by the tests that only generate."""
    from models.local.engine import Engine

    engine = Engine.load(tiny_gguf)
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def small_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1-layer GPT-2 with a 259-token byte-level vocabulary (bad_input.py): it converts and
    loads in a fraction of a second."""
    from tests.support.bad_input import make_small_checkpoint

    return make_small_checkpoint(tmp_path_factory.mktemp("small") / "small-gpt2")


@pytest.fixture(scope="session")
def small_gguf(small_checkpoint: Path) -> Path:
    """The small model converted to an F32 GGUF."""
    from models.hub.convert import convert

    return convert(small_checkpoint, small_checkpoint.parent / "small.F32.gguf", "f32")


@pytest.fixture(scope="session")
def small_engine(small_gguf: Path):  # type: ignore[no-untyped-def]
    """One loaded engine of the small model."""
    from models.local.engine import Engine

    engine = Engine.load(small_gguf)
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
    from models.local.client import LocalEngine

    sent: list[object] = []
    original = LocalEngine.submit

    def spy(self: LocalEngine, request: object, *args: object, **kwargs: object) -> int:
        sent.append(request)
        return original(self, request, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(LocalEngine, "submit", spy)
    return sent


@pytest.fixture(scope="session")
def llama_server(tiny_gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``python -m llama_cpp.server`` with the tiny model on a free loopback port."""
    pytest.importorskip("llama_cpp.server.app", reason="needs llama-cpp-python[server]")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = (tmp_path_factory.mktemp("llama-server") / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(tiny_gguf),
         "--model_alias", "tiny-gpt2", "--host", "127.0.0.1", "--port", str(port),
         "--n_ctx", "1024", "--n_threads", "1", "--verbose", "false"],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 60
    try:
        while True:
            assert proc.poll() is None, f"llama_cpp.server exited ({proc.returncode})"
            try:
                if httpx.get(url + "/models", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "llama_cpp.server did not start in 60 s"
            time.sleep(0.1)  # polling for the port, not waiting out a guess
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="session")
def llama_server_binary() -> Path:
    """llama.cpp's own ``llama-server``, built for the suite (never skipped: a build that
    fails fails the tests that need it, with the reason)."""
    from tests.support.llama_server import BuildFailed, binary

    if _LLAMA_SERVER_BUILD:
        pytest.fail(f"llama-server could not be built: {_LLAMA_SERVER_BUILD[0]}")
    try:
        return binary()
    except BuildFailed as exc:
        pytest.fail(f"llama-server could not be built: {exc}")


@pytest.fixture(scope="session")
def cpp_llama_server(
    llama_server_binary: Path, tiny_gguf: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """llama.cpp's ``llama-server`` with the tiny model and its default settings (4 slots
    sharing one 1024-token cache) on a free loopback port: its ``/v1`` URL."""
    from tests.support.llama_server import LlamaServer

    log = tmp_path_factory.mktemp("cpp-llama-server") / "server.log"
    with LlamaServer(llama_server_binary, tiny_gguf, log) as server:
        yield server.url


@pytest.fixture(params=["llama_cpp.server", "llama-server"])
def real_server(request: pytest.FixtureRequest) -> str:
    """Each real server in turn (llama-cpp-python's, then llama.cpp's own): its ``/v1`` URL."""
    name = "llama_server" if request.param == "llama_cpp.server" else "cpp_llama_server"
    url: str = request.getfixturevalue(name)
    return url
