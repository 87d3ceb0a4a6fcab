"""Chinese GPT-2 (UER's layout) pulled from the loopback fake Hub, converted without torch,
quantized, and loaded by llama.cpp: `quillpen models pull` end to end.

UER's repos hold config.json, a BERT WordPiece vocab.txt, tokenizer_config.json,
special_tokens_map.json and their weights as ``pytorch_model.bin`` (some also as
``model.safetensors``), next to files quillpen never reads (README.md, tf_model.h5,
flax_model.msgpack). The checkpoints here are tiny (tests/support/tinymodel.py, ``favour``: the
model
always predicts one character), so what llama.cpp writes is known exactly: that character,
repeated, with no space between the characters.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickletools
import zipfile
from pathlib import Path
from typing import Any

import gguf
import pytest

from models import locations
from models.hub import catalog
from models.hub import download as hub
from models.local.engine import Engine
from models.sampling import SamplerSettings
from tests.models.hub import test_hub
from tests.models.hub.test_hub import (
    assert_fails,
    assert_nothing_complete,
    assert_pulled,
    run_inproc,
)
from tests.support.hubserver import FakeHub
from tests.support.tinymodel import (
    TorchPickler,
    _state,
    _write_aligned,
    gpt2_tensors,
    hf_state_dict,
    make_wordpiece_checkpoint,
    zh_vocab,
)

# The loopback fake Hub of test_hub.py, reused here (pytest finds fixtures by module attribute).
fake_hub = test_hub.fake_hub
sleeps = test_hub.sleeps
official_files = test_hub.official_files
gguf_bytes = test_hub.gguf_bytes

SIZE = {"n_embd": 64, "n_layer": 1, "n_head": 4, "n_ctx": 32}  # 64 wide: Q8_0 rows fit
GREEDY = SamplerSettings(top_k=1, seed=1)
NEEDED = ("config.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json")
# What UER's repos also hold and the converter never reads: none of it may be fetched.
EXTRAS = {
    "README.md": "---\nlanguage: zh\n---\n# 中文古诗 GPT2\n".encode(),
    "tf_model.h5": b"\x89HDF\r\n\x1a\n" + b"\0" * 2048,
    "flax_model.msgpack": b"\x80" + b"\0" * 2048,
    ".gitattributes": b"*.bin filter=lfs diff=lfs merge=lfs -text\n",
}
POEM = catalog.CATALOG["gpt2-chinese-poem"]


# -- checkpoints ---------------------------------------------------------------------------------


def _files(src: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(src.iterdir())}


@pytest.fixture(scope="module")
def zh_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hub-zh")


@pytest.fixture(scope="module")
def bin_repo(zh_dir: Path) -> dict[str, bytes]:
    """A UER-layout checkpoint with its weights as a (zip) pytorch_model.bin only."""
    src = make_wordpiece_checkpoint(zh_dir / "bin", weights=("bin",), favour="月", **SIZE)
    files = _files(src)
    assert "model.safetensors" not in files and "pytorch_model.bin" in files
    return files


@pytest.fixture(scope="module")
def safetensors_repo(zh_dir: Path) -> dict[str, bytes]:
    """Weights as model.safetensors; the repo also lists a pytorch_model.bin that cannot be
    read (so converting it would fail): the safetensors file is the one to fetch."""
    src = make_wordpiece_checkpoint(zh_dir / "st", weights=("safetensors",), favour="光", **SIZE)
    return {**_files(src), "pytorch_model.bin": b"\0" * 4096}


@pytest.fixture(scope="module")
def poem_repo(zh_dir: Path) -> dict[str, bytes]:
    return _files(make_wordpiece_checkpoint(zh_dir / "poem", weights=("bin",), favour="霜", **SIZE))


class Payload:
    """Pickles as a call of ``func(*args)``: what a malicious checkpoint contains."""

    def __init__(self, func: Any, *args: Any) -> None:
        self.func, self.args = func, args

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return self.func, self.args


def evil_bin(marker: Path) -> bytes:
    """A real-looking zip pytorch_model.bin (every tensor present) whose pickle also calls
    ``os.system("touch MARKER")``, between the tensors, as torch.save would have written it."""
    size = {k: v for k, v in SIZE.items() if k != "n_head"}
    tensors = gpt2_tensors(len(zh_vocab()), seed=1, **size)
    state = _state(hf_state_dict(tensors))
    state["transformer.h.0.attn.masked_bias"] = Payload(os.system, f"touch {marker}")
    pickled = io.BytesIO()
    pickler = TorchPickler(pickled)
    pickler.dump(state)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        _write_aligned(zf, "pytorch_model/data.pkl", pickled.getvalue())
        _write_aligned(zf, "pytorch_model/byteorder", b"little")
        for key in sorted(pickler.storages):
            data = pickler.storages[key].data.tobytes()
            _write_aligned(zf, f"pytorch_model/data/{key}", data)
        _write_aligned(zf, "pytorch_model/version", b"3\n")
    return out.getvalue()


def pickle_globals(bin_bytes: bytes) -> set[str]:
    """The globals the data.pkl of a zip checkpoint names, read without unpickling it."""
    with zipfile.ZipFile(io.BytesIO(bin_bytes)) as zf:
        pickled = zf.read("pytorch_model/data.pkl")
    return {
        str(arg).replace(" ", ".")
        for op, arg, _ in pickletools.genops(pickled)
        if op.name == "GLOBAL"
    }


# -- checks --------------------------------------------------------------------------------------


def resolved(fake: FakeHub) -> list[tuple[str, str]]:
    """(revision, filename) of every /resolve/ request, in order."""
    found = []
    for r in fake.requests:
        if "/resolve/" in r.path:
            revision, _, filename = r.path.split("/resolve/", 1)[1].partition("/")
            found.append((revision, filename))
    return found


def assert_writes_chinese(path: Path, char: str) -> None:
    """llama.cpp loads the Q8_0 file as a WordPiece model and writes ``char``s, no spaces."""
    types = {t.tensor_type for t in gguf.GGUFReader(path).tensors}
    assert gguf.GGMLQuantizationType.Q8_0 in types  # quantized, not just converted
    assert [p for p in path.parent.iterdir() if p != path] == []  # the F16 step is gone
    engine = Engine.load(path)
    try:
        assert engine.wordpiece
        assert engine.complete("床前明月", GREEDY, max_tokens=5) == char * 5
        pieces = list(engine.stream(engine.tokenize("疑是地上"), GREEDY, max_tokens=4))
        assert "".join(pieces) == char * 4
        assert engine.detokenize(engine.tokenize("床前明月光，")) == "床前明月光，"
    finally:
        engine.close()


# -- (1) a repo that is not in the catalog, either weights format --------------------------------


@pytest.mark.parametrize("weights", ["pytorch_model.bin", "model.safetensors"])
def test_pull_uer_layout_repo_converts_quantizes_and_writes_chinese(
    fake_hub: FakeHub,
    capsys: pytest.CaptureFixture[str],
    request: pytest.FixtureRequest,
    weights: str,
) -> None:
    files = request.getfixturevalue("bin_repo" if weights.endswith(".bin") else "safetensors_repo")
    repo_id = "someone/gpt2-chinese-tiny"
    assert repo_id.split("/")[1] not in catalog.CATALOG
    fake_hub.add_repo(repo_id, {**files, **EXTRAS})

    run = run_inproc(capsys, "models", "pull", repo_id, "--quant", "Q8_0")
    path = assert_pulled(run)
    assert path == hub.model_path(repo_id, "Q8_0")
    assert "converting" in run.err and "quantizing" in run.err

    # It listed the repo, then fetched exactly the converter's files, weights last.
    assert any(r.path == f"/api/models/{repo_id}" for r in fake_hub.requests)
    asked = [name for _, name in resolved(fake_hub)]
    assert set(asked) == {*NEEDED, weights}
    assert asked[-1] == weights
    cdn = [r.path.rsplit("/", 1)[1] for r in fake_hub.requests if r.server == "cdn"]
    assert cdn == [weights]  # the LFS weights came from the CDN, nothing else did
    weights_sha = hashlib.sha256(files[weights]).hexdigest()
    blob = locations.hub_dir() / f"models--someone--gpt2-chinese-tiny/blobs/{weights_sha}"
    assert blob.is_file()

    assert_writes_chinese(path, "月" if weights.endswith(".bin") else "光")


# -- (2) the catalog's gpt2-chinese-poem, unpinned ------------------------------------------------


def test_pull_catalog_chinese_poem_fetches_only_what_it_needs_and_checks_sha256(
    fake_hub: FakeHub,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    poem_repo: dict[str, bytes],
) -> None:
    assert (POEM.repo_id, POEM.revision, POEM.safetensors_sha256) == (
        "uer/gpt2-chinese-poem",
        "main",
        None,
    )
    served = fake_hub.add_repo(POEM.repo_id, {**poem_repo, **EXTRAS})
    hashed: list[Path] = []
    real_sha256_of = hub.sha256_of

    def sha256_of(path: Path) -> str:
        hashed.append(path)
        return real_sha256_of(path)

    monkeypatch.setattr(hub, "sha256_of", sha256_of)

    run = run_inproc(capsys, "models", "pull", "gpt2-chinese-poem", "--quant", "Q8_0")
    path = assert_pulled(run)
    assert path == hub.model_path("gpt2-chinese-poem", "Q8_0")
    assert "fetching uer/gpt2-chinese-poem at main" in run.err

    # Listed at main, then only the five files the converter reads, all at main.
    listing = f"/api/models/{POEM.repo_id}/revision/main"
    assert any(r.path == listing for r in fake_hub.requests)
    asked = resolved(fake_hub)
    assert {name for _, name in asked} == {*NEEDED, "pytorch_model.bin"}
    assert {revision for revision, _ in asked} == {"main"}
    cdn = [r.path.rsplit("/", 1)[1] for r in fake_hub.requests if r.server == "cdn"]
    assert cdn == ["pytorch_model.bin"]
    repo_cache = locations.hub_dir() / "models--uer--gpt2-chinese-poem"
    assert (repo_cache / "refs/main").read_text() == served.commit
    snapshot = repo_cache / "snapshots" / served.commit
    assert sorted(p.name for p in snapshot.iterdir()) == sorted([*NEEDED, "pytorch_model.bin"])

    # The weights were hashed and matched the sha256 the Hub advertised for them.
    advertised = fake_hub.file(POEM.repo_id, "pytorch_model.bin").advertised_sha256
    assert advertised == hashlib.sha256(poem_repo["pytorch_model.bin"]).hexdigest()
    assert [Path(os.path.realpath(p)).name for p in hashed] == [advertised]

    assert_writes_chinese(path, "霜")


def test_catalog_chinese_poem_refuses_weights_that_differ_from_the_hub_sha256(
    fake_hub: FakeHub, capsys: pytest.CaptureFixture[str], poem_repo: dict[str, bytes]
) -> None:
    fake_hub.add_repo(POEM.repo_id, {**poem_repo, **EXTRAS})
    fake_hub.fault(POEM.repo_id, "pytorch_model.bin", "bad-sha")
    run = run_inproc(capsys, "models", "pull", "gpt2-chinese-poem", "--quant", "Q8_0")
    assert_fails(run, "uer/gpt2-chinese-poem/pytorch_model.bin", "sha256 mismatch", "deleted")
    assert_nothing_complete(fake_hub, POEM.repo_id, "pytorch_model.bin")


def test_catalog_chinese_safetensors_rebuilds_offline_from_the_cache(
    fake_hub: FakeHub,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    safetensors_repo: dict[str, bytes],
) -> None:
    """A UER repo with model.safetensors (and a .bin): online it fetches the safetensors; with
    the converted file gone, --offline rebuilds from the cached checkpoint, asking nothing."""
    fake_hub.add_repo(POEM.repo_id, {**safetensors_repo, **EXTRAS})
    path = assert_pulled(
        run_inproc(capsys, "models", "pull", "gpt2-chinese-poem", "--quant", "Q8_0")
    )
    assert {name for _, name in resolved(fake_hub)} == {*NEEDED, "model.safetensors"}
    path.unlink()
    fake_hub.clear_requests()

    monkeypatch.setenv("HF_HUB_OFFLINE", "0")  # restored after the test; --offline sets it
    args = ("models", "pull", "gpt2-chinese-poem", "--quant", "Q8_0", "--offline")
    assert assert_pulled(run_inproc(capsys, *args)) == path
    assert fake_hub.requests == []
    assert_writes_chinese(path, "光")


# -- (3) a pickle that would run code --------------------------------------------------------------


def test_pickle_with_a_forbidden_global_is_refused_and_nothing_runs(
    fake_hub: FakeHub,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    bin_repo: dict[str, bytes],
) -> None:
    marker = tmp_path / "ran"
    evil = evil_bin(marker)
    assert "posix.system" in pickle_globals(evil)  # the payload is really in there
    repo_id = "mallory/gpt2-chinese-evil"
    fake_hub.add_repo(repo_id, {**bin_repo, "pytorch_model.bin": evil, **EXTRAS})

    run = run_inproc(capsys, "models", "pull", repo_id, "--quant", "Q8_0")
    line = assert_fails(run, "pickle", "posix.system", "refusing")
    assert line.count("quillpen:") == 1 and "\n" not in line
    assert [ln for ln in run.err.splitlines() if ln.startswith("quillpen:")] == [line]
    assert "quantizing" not in run.err
    assert run.out == ""

    assert not marker.exists()  # nothing in the pickle ran
    assert_nothing_complete()  # no .gguf, no .partial, no half-downloaded file
    assert list(locations.models_dir().rglob("*.partial")) == []
