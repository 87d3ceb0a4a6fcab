"""llama.cpp's own C++ ``llama-server`` for the tests: built once from the llama.cpp sources in
llama-cpp-python's sdist (the very version the engine runs), cached, and started on loopback.

:func:`binary` builds it once per llama-cpp-python version into
``~/.cache/quillpen-tests/llama-server-<version>/bin/`` (``QUILLPEN_TEST_CACHE`` moves the
folder); a file lock keeps parallel runs from building twice. The sources come from uv's cache
where it holds the sdist, else from PyPI (the sdist, checked against its SHA-256): no other
network. The build is CMake's, Release, the ``llama-server`` target only, with portable CPU code
(``GGML_NATIVE=OFF``: SSE4.2/AVX2/FMA/F16C, no ``-march=native``, so a cached build runs on
another x86-64 machine) and neither OpenSSL nor the web UI (whose prebuilt copy is a download).
It takes about 6 minutes on 2 cores (``QUILLPEN_TEST_BUILD_JOBS`` jobs, default 2).

:class:`LlamaServer` runs it with its default settings: its slots (4) share one KV cache the
size of the model's window, as people start it (``llama-server -m model.gguf``).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.metadata
import json
import os
import shutil
import socket
import subprocess
import tarfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import httpx

VERSION = importlib.metadata.version("llama-cpp-python")
SDIST = f"llama_cpp_python-{VERSION}"
PYPI_SIMPLE = "https://pypi.org/simple/llama-cpp-python/"
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
SKIPPED = {"docs", "models", "media", ".git", ".github", "gguf-py", "benches"}
"""Top-level folders of llama.cpp that the server's build does not need."""
CMAKE_OPTIONS = (
    "-DCMAKE_BUILD_TYPE=Release",
    "-DBUILD_SHARED_LIBS=OFF",
    "-DGGML_NATIVE=OFF",
    "-DLLAMA_OPENSSL=OFF",
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
    "-DLLAMA_BUILD_TOOLS=ON",
    "-DLLAMA_BUILD_SERVER=ON",
    "-DLLAMA_BUILD_UI=OFF",
    "-DLLAMA_USE_PREBUILT_UI=OFF",
)
_UV_CACHE = os.environ.get("UV_CACHE_DIR")
_XDG_CACHE = os.environ.get("XDG_CACHE_HOME")  # read at import: tests point it elsewhere


class BuildFailed(RuntimeError):
    """llama-server could not be built (the message says why and where the log is)."""


def cache_dir() -> Path:
    root = os.environ.get("QUILLPEN_TEST_CACHE")
    base = Path(root) if root else Path.home() / ".cache" / "quillpen-tests"
    return base / f"llama-server-{VERSION}"


def binary(report: Callable[[str], None] = print) -> Path:
    """The built ``llama-server``, building it first if no run has (``report`` hears what
    takes long). Raises :class:`BuildFailed`."""
    folder = cache_dir()
    built = folder / "bin" / "llama-server"
    if built.is_file() and os.access(built, os.X_OK):
        return built
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another run building waits here, then finds it
        if not (built.is_file() and os.access(built, os.X_OK)):
            _build(folder, built, report)
    return built


def _build(folder: Path, built: Path, report: Callable[[str], None]) -> None:
    for tool in ("cmake", "c++"):
        if shutil.which(tool) is None:
            raise BuildFailed(f"building llama-server for the tests needs {tool} on PATH")
    began = time.monotonic()
    source = _sources(folder, report)
    build, log_path = folder / "build", folder / "build.log"
    generator = ["-G", "Ninja"] if shutil.which("ninja") else []
    jobs = os.environ.get("QUILLPEN_TEST_BUILD_JOBS", "2")
    report(f"building llama-server {VERSION} for the tests ({jobs} jobs, once; log: {log_path})")
    with log_path.open("w") as log:
        _run(["cmake", "-S", str(source), "-B", str(build), *generator, *CMAKE_OPTIONS], log)
        _run(["cmake", "--build", str(build), "--target", "llama-server", "-j", jobs], log)
    made = build / "bin" / "llama-server"
    if not made.is_file():
        raise BuildFailed(f"the build made no {made} (log: {log_path})")
    built.parent.mkdir(exist_ok=True)
    partial = built.with_suffix(".partial")
    shutil.copy2(made, partial)
    partial.replace(built)
    seconds = round(time.monotonic() - began)
    info = {"version": VERSION, "cmake": list(CMAKE_OPTIONS), "jobs": jobs, "seconds": seconds}
    (folder / "build-info.json").write_text(json.dumps(info, indent=1))
    report(f"built llama-server {VERSION} in {seconds} s")
    shutil.rmtree(build, ignore_errors=True)  # the objects: hundreds of MB
    shutil.rmtree(folder / "src", ignore_errors=True)


def _run(command: list[str], log: IO[str]) -> None:
    log.write("$ " + " ".join(command) + "\n")
    log.flush()
    done = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        log.flush()
        tail = Path(log.name).read_text(errors="replace").splitlines()[-15:]
        raise BuildFailed(
            f"{command[0]} {command[1]} failed ({done.returncode}) building llama-server; "
            f"the log ({log.name}) ends:\n" + "\n".join(tail)
        )


# The sources ----------------------------------------------------------------------------------
def _sources(folder: Path, report: Callable[[str], None]) -> Path:
    """llama.cpp's tree from the sdist, copied or extracted to ``folder/src``."""
    target = folder / "src"
    shutil.rmtree(target, ignore_errors=True)
    cached = _in_uv_cache()
    if cached is not None:
        report(f"llama.cpp sources from uv's cache: {cached}")
        shutil.copytree(cached, target, ignore=lambda d, names: _skipped(cached, d, names))
        return target
    archive = folder / f"{SDIST}.tar.gz"
    if not archive.is_file():
        report(f"downloading the {SDIST} sdist from PyPI")
        _download(archive)
    prefix = f"{SDIST}/vendor/llama.cpp/"
    with tarfile.open(archive) as tar:
        members = []
        for member in tar.getmembers():
            if not member.name.startswith(prefix):
                continue
            rest = member.name[len(prefix) :]
            if rest.split("/", 1)[0] in SKIPPED:
                continue
            member.name = rest
            members.append(member)
        tar.extractall(target, members=members, filter="data")
    return target


def _skipped(root: Path, folder: str, names: list[str]) -> set[str]:
    return set(names) & SKIPPED if Path(folder) == root else set()


def _uv_caches() -> Iterator[Path]:
    if _UV_CACHE:
        yield Path(_UV_CACHE)
    yield Path(_XDG_CACHE) / "uv" if _XDG_CACHE else Path.home() / ".cache" / "uv"
    uv = shutil.which("uv")
    if uv is not None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            found = subprocess.run(
                [uv, "cache", "dir"], capture_output=True, text=True, timeout=30, check=True
            )
            yield Path(found.stdout.strip())


def _in_uv_cache() -> Path | None:
    """llama.cpp's folder in an sdist that uv unpacked to build llama-cpp-python, if any."""
    for cache in _uv_caches():
        pattern = f"sdists-v*/pypi/llama-cpp-python/{VERSION}/*/src/vendor/llama.cpp"
        for found in sorted(cache.glob(pattern)):
            if (found / "tools" / "server" / "CMakeLists.txt").is_file():
                return found
    return None


def _download(archive: Path) -> None:
    """The sdist from PyPI's simple index (its JSON form, PEP 691, as pip and uv read it)."""
    asked = urllib.request.Request(PYPI_SIMPLE, headers={"Accept": SIMPLE_JSON})
    with urllib.request.urlopen(asked, timeout=60) as answer:
        listing: dict[str, Any] = json.load(answer)
    sdists = [f for f in listing.get("files", ()) if f.get("filename") == archive.name]
    if not sdists:
        raise BuildFailed(f"PyPI lists no sdist {archive.name}")
    url, sha256 = sdists[0]["url"], sdists[0]["hashes"]["sha256"]
    partial = archive.with_suffix(".partial")
    digest = hashlib.sha256()
    with urllib.request.urlopen(url, timeout=120) as answer, partial.open("wb") as out:
        while block := answer.read(1 << 20):
            digest.update(block)
            out.write(block)
    if digest.hexdigest() != sha256:
        partial.unlink()
        raise BuildFailed(f"the sdist from {url} does not match PyPI's SHA-256")
    partial.replace(archive)


# Running it -----------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LlamaServer:
    """``llama-server -m MODEL`` on a free loopback port, with its default context, slots and
    cache (one thread, for the suite's small machines; ``args`` adds options); a context
    manager that waits for ``/health``."""

    def __init__(
        self, program: Path, model: Path, log: Path, *args: str, alias: str = "tiny-gpt2"
    ) -> None:
        self.port = free_port()
        self.root = f"http://127.0.0.1:{self.port}"
        self.url = self.root + "/v1"
        self.log = log
        self.command = [
            str(program), "-m", str(model), "--alias", alias, "--host", "127.0.0.1",
            "--port", str(self.port), "--threads", "1", *args,
        ]  # fmt: skip
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> LlamaServer:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(self.command, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        try:
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"llama-server exited ({self.proc.returncode}): {self.log}")
                with contextlib.suppress(httpx.TransportError):
                    if httpx.get(self.root + "/health", timeout=1).status_code == 200:
                        return self
                if time.monotonic() > deadline:
                    raise RuntimeError(f"llama-server did not start in 60 s: {self.log}")
                time.sleep(0.1)  # polling for the port, not waiting out a guess
        except BaseException:
            self.__exit__()
            raise

    def __exit__(self, *exc: object) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
