"""`quillpen models pull` and models/hub/download.py against a loopback fake Hub
(tests/support/hubserver.py).

Everything goes through the real huggingface_hub client: HEAD/GET on /resolve, the 302 to the
CDN for LFS files, Range resumes, its retries and its cache layout. Nothing leaves 127.0.0.1.

huggingface_hub reads HF_ENDPOINT, HF_HUB_OFFLINE, telemetry and token settings into
``huggingface_hub.constants`` when it is first imported, so in-process tests patch those
constants; subprocess runs get the same settings as environment variables.
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import huggingface_hub
import huggingface_hub.file_download as hf_file_download
import huggingface_hub.utils._http as hf_http
import pytest
from huggingface_hub import constants as hf_constants

from models import locations
from models.hub import cache as store
from models.hub import catalog
from models.hub import download as hub
from tests.support.hubserver import FakeHub
from tui import cli

ROOT = Path(__file__).resolve().parents[3]
TOKEN = "hf_quillpenTestToken0123456789abcdefXYZ"
CATALOG_SPEC = catalog.CATALOG["gpt2"]
CATALOG_REPO = CATALOG_SPEC.repo_id  # openai-community/gpt2, served at the pinned revision
OFFICIAL_REPO = "someorg/tiny-gpt2"  # a GPT-2 safetensors checkpoint in the official layout
GGUF_REPO = "someorg/tiny-gpt2-GGUF"  # ready GGUF files
GGUF_FILE = "tiny-gpt2.Q8_0.gguf"
PRIVATE_REPO = "someorg/private-gpt2-GGUF"
WEIGHTS = "model.safetensors"


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def official_files(tiny_checkpoint: Path) -> dict[str, bytes]:
    return {name: (tiny_checkpoint / name).read_bytes() for name in catalog.OFFICIAL_FILES}


@pytest.fixture(scope="session")
def gguf_bytes(tiny_gguf: Path) -> bytes:
    return tiny_gguf.read_bytes()


class _NoSleep:
    """Stands in for the ``time`` module inside huggingface_hub: backoff sleeps return at once."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """huggingface_hub retries with 1-8 s sleeps; in-process tests skip them (and see them)."""
    fake = _NoSleep()
    monkeypatch.setattr(hf_file_download, "time", fake)
    monkeypatch.setattr(hf_http, "time", fake)
    return fake.sleeps


def hub_env(fake: FakeHub, home: Path) -> dict[str, str]:
    """What a user pointing quillpen at a mirror would have in the environment."""
    return {
        "HF_ENDPOINT": fake.url,
        "HF_HOME": str(home),  # no token file, no telemetry cache from the real home
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_ETAG_TIMEOUT": "5",
        "HF_HUB_DOWNLOAD_TIMEOUT": "10",
        "NO_PROXY": "127.0.0.1,localhost",
    }


@pytest.fixture
def fake_hub(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    sleeps: list[float],
    official_files: dict[str, bytes],
    gguf_bytes: bytes,
) -> Iterator[FakeHub]:
    """A fresh fake Hub with the catalog's gpt2, an official-layout repo and a GGUF repo."""
    with FakeHub(tokens={TOKEN}) as fake:
        home = tmp_path / "hf-home"
        for key, value in hub_env(fake, home).items():
            monkeypatch.setenv(key, value)
        for key in (
            "HUGGING_FACE_HUB_TOKEN",
            "HF_TOKEN_PATH",
            "HF_OIDC_RESOURCE",
            "TRANSFORMERS_OFFLINE",
            "HF_HUB_DISABLE_XET",
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
            "http_proxy",
            "https_proxy",
            "all_proxy",
        ):
            monkeypatch.delenv(key, raising=False)
        monkeypatch.setattr(hf_constants, "ENDPOINT", fake.url)
        monkeypatch.setattr(
            hf_constants,
            "HUGGINGFACE_CO_URL_TEMPLATE",
            fake.url + "/{repo_id}/resolve/{revision}/{filename}",
        )
        monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", False)
        monkeypatch.setattr(hf_constants, "HF_HUB_DISABLE_TELEMETRY", True)
        monkeypatch.setattr(hf_constants, "HF_TOKEN_PATH", str(home / "token"))
        # The catalog pins the real gpt2's sha256; pin the tiny stand-in's instead.
        weights_sha = hashlib.sha256(official_files[WEIGHTS]).hexdigest()
        monkeypatch.setitem(
            catalog.CATALOG,
            "gpt2",
            dataclasses.replace(CATALOG_SPEC, safetensors_sha256=weights_sha),
        )
        fake.add_repo(CATALOG_REPO, official_files, commit=CATALOG_SPEC.revision)
        fake.add_repo(
            OFFICIAL_REPO,
            {
                **official_files,
                "README.md": b"# tiny-gpt2\n",
                "pytorch_model.bin": b"\0" * 4096,
                "generation_config.json": b"{}",
            },
        )
        fake.add_repo(
            GGUF_REPO,
            {
                GGUF_FILE: gguf_bytes,
                "tiny-gpt2.F16.gguf": b"GGUF but not the file you asked for",
                "README.md": b"# GGUF builds\n",
            },
        )
        huggingface_hub.close_session()  # a fresh HTTP client, built from this environment
        yield fake
    huggingface_hub.close_session()


# -- helpers ----------------------------------------------------------------------------------


class Run(NamedTuple):
    rc: int
    out: str
    err: str


def last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def run_cli(*args: str, env: dict[str, str] | None = None, drop: tuple[str, ...] = ()) -> Run:
    """`quillpen ARGS` in a fresh process (what a user types), with this test's environment."""
    full_env = {**os.environ, **(env or {})}
    for key in drop:
        full_env.pop(key, None)
    proc = subprocess.run(
        [sys.executable, "-m", "tui.cli", *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def run_inproc(capsys: pytest.CaptureFixture[str], *args: str) -> Run:
    """`quillpen ARGS` in this process, so huggingface_hub's backoff sleeps can be skipped."""
    capsys.readouterr()
    rc = cli.main(list(args))
    captured = capsys.readouterr()
    return Run(rc, captured.out, captured.err)


def assert_pulled(run: Run) -> Path:
    """Exit 0, no traceback, and the last stdout line is a ready .gguf in our models folder."""
    assert run.rc == 0, run.err
    assert "Traceback" not in run.err
    path = Path(last_line(run.out))
    assert path.is_absolute(), run.out
    assert path.suffix == ".gguf"
    assert path.is_file()
    assert path.is_relative_to(locations.models_dir())
    return path


def assert_fails(run: Run, *needles: str) -> str:
    """Exit 1 with one clear `quillpen: ...` line last on stderr, no traceback, no path."""
    assert run.rc == 1, (run.out, run.err)
    assert "Traceback" not in run.err + run.out
    line = last_line(run.err)
    assert line.startswith("quillpen: "), run.err
    for needle in needles:
        assert needle.lower() in line.lower(), line
    assert ".gguf" not in last_line(run.out)
    return line


def assert_nothing_complete(
    fake: FakeHub | None = None, repo_id: str = "", filename: str = ""
) -> None:
    """No ready (or half-written) model, and no cached copy of the failed file."""
    leftovers = [p for p in locations.models_dir().rglob("*") if not p.is_dir()]
    assert leftovers == [], leftovers
    assert store.list_local() == []
    hub_dir = locations.hub_dir()
    assert list(hub_dir.rglob("*.incomplete")) == []
    if fake is None:
        return
    served = fake.file(repo_id, filename)
    bad_names = {served.sha256, served.advertised_sha256, served.git_sha1}
    for blob in hub_dir.glob("*/blobs/*"):
        assert blob.name not in bad_names, blob
        assert hashlib.sha256(blob.read_bytes()).hexdigest() != served.sha256, blob
    assert list(hub_dir.glob(f"*/snapshots/*/{filename}")) == []


def assert_loadable(path: Path) -> None:
    """llama.cpp loads the file and generates from it."""
    from models.local.engine import Engine
    from models.sampling import SamplerSettings

    engine = Engine.load(path)
    try:
        text = engine.complete("The lighthouse keeper", SamplerSettings(seed=7), max_tokens=4)
        assert isinstance(text, str)
        assert engine.last_stats.generated_tokens >= 1
    finally:
        engine.close()


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- pulling what exists ----------------------------------------------------------------------


def test_pull_catalog_name_converts_and_second_pull_uses_cache(
    fake_hub: FakeHub, official_files: dict[str, bytes], user_dirs: dict[str, Path]
) -> None:
    notes: list[str] = []
    path = hub.pull("gpt2", quant="Q8_0", notify=notes.append)

    assert path == hub.model_path("gpt2", "Q8_0")
    assert path.is_file()
    assert path.is_relative_to(user_dirs["cache"])
    assert any("converting" in n for n in notes)
    assert any("quantizing" in n for n in notes)
    assert_loadable(path)

    # Exactly the converter's files, at the pinned commit; the weights came from the CDN.
    heads = [r for r in fake_hub.requests if r.method == "HEAD"]
    assert sorted(r.path.rsplit("/", 1)[1] for r in heads) == sorted(catalog.OFFICIAL_FILES)
    assert all(f"/resolve/{CATALOG_SPEC.revision}/" in r.path for r in heads)
    cdn = [r for r in fake_hub.requests if r.server == "cdn"]
    assert [r.path.rsplit("/", 1)[1] for r in cdn] == [WEIGHTS]
    assert all(r.authorization is None for r in fake_hub.requests)  # no HF_TOKEN, none sent
    weights_sha = hashlib.sha256(official_files[WEIGHTS]).hexdigest()
    assert (locations.hub_dir() / f"models--openai-community--gpt2/blobs/{weights_sha}").is_file()

    fake_hub.clear_requests()
    assert hub.pull("gpt2", quant="Q8_0") == path
    assert fake_hub.requests == []


def test_catalog_pin_rejects_a_hub_file_that_differs(
    fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The real catalog pins gpt2's sha256: the tiny stand-in the Hub serves must be refused."""
    monkeypatch.setitem(catalog.CATALOG, "gpt2", CATALOG_SPEC)
    run = run_inproc(capsys, "models", "pull", "gpt2", "--quant", "Q8_0")
    assert_fails(run, "sha256 mismatch", "deleted")
    assert_nothing_complete(fake_hub, CATALOG_REPO, WEIGHTS)


def test_cli_pull_official_repo_then_list_and_rm(fake_hub: FakeHub) -> None:
    run = run_cli("models", "pull", OFFICIAL_REPO, "--quant", "Q8_0")
    path = assert_pulled(run)
    assert path == hub.model_path(OFFICIAL_REPO, "Q8_0")
    assert "converting" in run.err
    assert_loadable(path)

    # model_info, then only the four files the converter reads (not README, not the .bin).
    asked = {r.path.rsplit("/", 1)[1] for r in fake_hub.requests if "/resolve/" in r.path}
    assert asked == set(catalog.OFFICIAL_FILES)
    assert any(r.path == f"/api/models/{OFFICIAL_REPO}" for r in fake_hub.requests)

    listed = run_cli("models", "list")
    assert listed.rc == 0
    row = next(line for line in listed.out.splitlines() if str(path) in line)
    assert row.split()[:3] == ["someorg--tiny-gpt2", "?", "Q8_0"]  # (language unknown)

    removed = run_cli("models", "rm", OFFICIAL_REPO)
    assert removed.rc == 0, removed.err
    assert f"removed {path.parent}" in removed.out
    assert not path.exists()
    assert not (locations.hub_dir() / "models--someorg--tiny-gpt2").exists()
    assert "no models yet" in run_cli("models", "list").out

    again = run_cli("models", "rm", OFFICIAL_REPO)
    assert_fails(again, "no local model")


def test_cli_pull_gguf_repo_by_file_and_by_quant(fake_hub: FakeHub, gguf_bytes: bytes) -> None:
    by_file = assert_pulled(run_cli("models", "pull", f"{GGUF_REPO}:{GGUF_FILE}"))
    assert sha256_file(by_file) == hashlib.sha256(gguf_bytes).hexdigest()
    assert_loadable(by_file)
    # What the README promises next: `--model owner/name:file.gguf`.
    assert store.resolve(f"{GGUF_REPO}:{GGUF_FILE}") == by_file

    fake_hub.clear_requests()
    by_quant = assert_pulled(run_cli("models", "pull", GGUF_REPO, "--quant", "q8_0"))
    assert by_quant == hub.model_path(GGUF_REPO, "Q8_0")
    assert sha256_file(by_quant) == hashlib.sha256(gguf_bytes).hexdigest()
    # It picked the Q8_0 file, and found it already in huggingface_hub's cache.
    assert [r.path.rsplit("/", 1)[1] for r in fake_hub.requests if "/resolve/" in r.path] == [
        GGUF_FILE
    ]
    assert [r for r in fake_hub.requests if r.server == "cdn"] == []
    assert store.resolve(GGUF_REPO, "Q8_0") == by_quant


def test_gguf_repo_without_the_quant_names_what_it_has(
    fake_hub: FakeHub, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_inproc(capsys, "models", "pull", GGUF_REPO, "--quant", "Q5_K_M")
    assert_fails(run, "no Q5_K_M file", GGUF_FILE, "tiny-gpt2.F16.gguf")
    assert [r for r in fake_hub.requests if "/resolve/" in r.path] == []
    assert_nothing_complete()


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


def simulate_full_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make a download's temp file take half of its first write, then fail with ENOSPC."""
    real_http_get = hf_file_download.http_get

    class FullDisk:
        def __init__(self, f: Any) -> None:
            self._f = f

        def write(self, data: bytes) -> int:
            self._f.write(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def __getattr__(self, name: str) -> Any:
            return getattr(self._f, name)

    def http_get(url: str, temp_file: Any, **kwargs: Any) -> None:
        real_http_get(url, FullDisk(temp_file), **kwargs)

    monkeypatch.setattr(hf_file_download, "http_get", http_get)


def test_disk_full_while_downloading(
    fake_hub: FakeHub, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    simulate_full_disk(monkeypatch)
    run = run_inproc(capsys, "models", "pull", "gpt2", "--quant", "Q8_0")
    assert_fails(run, "disk is full")
    assert_nothing_complete(fake_hub, CATALOG_REPO, "config.json")


# -- offline ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["gpt2", OFFICIAL_REPO, f"{GGUF_REPO}:{GGUF_FILE}"])
@pytest.mark.parametrize("how", ["--offline", "HF_HUB_OFFLINE=1"])
def test_offline_with_nothing_cached_asks_nothing(
    fake_hub: FakeHub,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    how: str,
) -> None:
    # Only quillpen's own switch: huggingface_hub's import-time offline flag stays off here,
    # so a request would reach the server if quillpen made one.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1" if how != "--offline" else "0")
    flags = ["--offline"] if how == "--offline" else []
    run = run_inproc(capsys, "models", "pull", name, "--quant", "Q8_0", *flags)
    assert_fails(run, "offline")
    assert fake_hub.requests == []
    assert_nothing_complete()


def test_offline_cli_process_asks_nothing(fake_hub: FakeHub) -> None:
    # With telemetry left on, as most users have it: still not a single request.
    run = run_cli("models", "pull", OFFICIAL_REPO, "--offline", drop=("HF_HUB_DISABLE_TELEMETRY",))
    assert_fails(run, "offline", OFFICIAL_REPO)
    run = run_cli(
        "models",
        "pull",
        f"{GGUF_REPO}:{GGUF_FILE}",
        env={"HF_HUB_OFFLINE": "1"},
        drop=("HF_HUB_DISABLE_TELEMETRY",),
    )
    assert_fails(run, "offline")
    assert fake_hub.requests == []


def test_offline_with_cache_works_without_requests(
    fake_hub: FakeHub, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog_path = assert_pulled(run_inproc(capsys, "models", "pull", "gpt2", "--quant", "Q8_0"))
    gguf_path = assert_pulled(run_inproc(capsys, "models", "pull", f"{GGUF_REPO}:{GGUF_FILE}"))
    # The default quant (Q4_K_M) falls back to Q5_0 for this 64-wide model.
    repo_run = run_inproc(capsys, "models", "pull", OFFICIAL_REPO)
    repo_path = assert_pulled(repo_run)
    assert repo_path.name.endswith(".Q5_0.gguf")
    assert "Q5_0" in repo_run.err
    fake_hub.clear_requests()

    monkeypatch.setenv("HF_HUB_OFFLINE", "0")  # restored after the test; --offline sets it

    def pull_offline(*args: str) -> Path:
        return assert_pulled(run_inproc(capsys, "models", "pull", *args, "--offline"))

    assert pull_offline("gpt2", "--quant", "Q8_0") == catalog_path
    assert pull_offline(f"{GGUF_REPO}:{GGUF_FILE}") == gguf_path
    assert pull_offline(OFFICIAL_REPO) == repo_path

    # Without the converted file, offline still rebuilds it from the cached checkpoint.
    catalog_path.unlink()
    assert not hub.model_path("gpt2", "F16").exists()  # the intermediate F16 is not kept
    assert pull_offline("gpt2", "--quant", "Q8_0") == catalog_path

    # And a fresh process, offline.
    fresh = run_cli("models", "pull", f"{GGUF_REPO}:{GGUF_FILE}", "--offline")
    assert assert_pulled(fresh) == gguf_path
    assert fake_hub.requests == []


# -- tokens -------------------------------------------------------------------------------------


def test_hf_token_reaches_the_hub_and_never_the_output(
    fake_hub: FakeHub, gguf_bytes: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_hub.add_repo(PRIVATE_REPO, {GGUF_FILE: gguf_bytes}, private=True)

    anonymous = run_inproc(capsys, "models", "pull", PRIVATE_REPO, "--quant", "Q8_0")
    assert_fails(anonymous, "repository not found", "HF_TOKEN")
    assert all(r.authorization is None for r in fake_hub.requests)
    fake_hub.clear_requests()

    run = run_cli("models", "pull", PRIVATE_REPO, "--quant", "Q8_0", "-v", env={"HF_TOKEN": TOKEN})
    path = assert_pulled(run)
    assert sha256_file(path) == hashlib.sha256(gguf_bytes).hexdigest()
    assert TOKEN not in run.out + run.err

    to_hub = [r for r in fake_hub.requests if r.server == "hub"]
    assert to_hub and all(r.authorization == f"Bearer {TOKEN}" for r in to_hub)
    # Like the real Hub's CDN: the token is not sent off the Hub.
    to_cdn = [r for r in fake_hub.requests if r.server == "cdn"]
    assert to_cdn and all(r.authorization is None for r in to_cdn)
