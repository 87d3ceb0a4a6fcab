"""Tiny hostile checkpoints cost neither gigabytes nor a traceback; nor can they rewrite us.

Each file is built like the attack: a deflated ``data.pkl`` that inflates past the limit, a zip
whose directory claims 60,000 members, a 7-byte pickle with ``LONG_BINPUT 2**26``, stride-0 views
that would expand one float into millions, config.json values that size everything by them,
and BUILD opcodes aimed at the allow-listed stand-ins. tracemalloc measures the peak of Python's
allocations (numpy's and the C unpickler's included).
"""

from __future__ import annotations

import json
import struct
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from models.errors import QuillpenError
from models.hub import child_job, torch_pickle
from models.hub.convert import convert
from tests.support.helpers import peak_memory
from tests.support.tinymodel import FakeStorage, FakeTensor, make_checkpoint, write_torch_zip

MB = 1024 * 1024


def zip_with(path: Path, pickled: bytes, method: int = zipfile.ZIP_STORED) -> Path:
    with zipfile.ZipFile(path, "w", method) as zf:
        zf.writestr("evil/data.pkl", pickled)
        zf.writestr("evil/version", "3\n")
    return path


def test_a_zip_bomb_data_pkl_is_refused_unread(tmp_path: Path) -> None:
    bomb = zip_with(tmp_path / "bomb.bin", b"\x80\x02" + b"N" * (80 * MB), zipfile.ZIP_DEFLATED)
    assert bomb.stat().st_size < MB
    with peak_memory() as peak, pytest.raises(QuillpenError, match="over 64 MB"):
        torch_pickle.load(bomb)
    assert peak[0] < 8 * MB, peak


def test_a_zip_claiming_too_many_members_is_refused(tmp_path: Path) -> None:
    path = zip_with(tmp_path / "many.bin", b"\x80\x02}q\x00.")
    data = bytearray(path.read_bytes())
    at = data.rfind(b"PK\x05\x06")
    data[at + 8 : at + 12] = struct.pack("<HH", 60_000, 60_000)
    path.write_bytes(bytes(data))
    with pytest.raises(QuillpenError, match="60,000 members"):
        torch_pickle.load(path)


def test_a_memo_index_of_2_to_the_26_is_refused(tmp_path: Path) -> None:
    pickled = b"\x80\x02Nr" + struct.pack("<I", 2**26) + b"."
    assert len(pickled) == 9
    path = zip_with(tmp_path / "memo.bin", pickled)
    with peak_memory() as peak, pytest.raises(QuillpenError, match="memo index"):
        torch_pickle.load(path)
    assert peak[0] < 8 * MB, peak


def test_stride_0_views_larger_than_their_storage_are_refused(tmp_path: Path) -> None:
    one = FakeStorage(np.ones(1, np.float32))
    path = write_torch_zip(tmp_path / "s0.bin", {"w": FakeTensor(one, 0, (3000, 3000), (0, 0))})
    assert path.stat().st_size < 4096
    checkpoint = torch_pickle.load(path)
    with peak_memory() as peak, pytest.raises(QuillpenError, match="more elements than its"):
        checkpoint.tensor("w")
    assert peak[0] < 8 * MB, peak


def test_build_cannot_rewrite_the_stand_ins(tmp_path: Path) -> None:
    defaults = torch_pickle._rebuild_parameter.__defaults__
    rewrite_function = (
        b"\x80\x02ctorch._utils\n_rebuild_parameter\n"
        b"N}X\x0c\x00\x00\x00__defaults__(K\x01tq\x00s\x86b."
    )
    rewrite_storage = b"\x80\x02ctorch\nFloatStorage\n}X\x04\x00\x00\x00nameX\x01\x00\x00\x00xsb."
    for i, pickled in enumerate((rewrite_function, rewrite_storage)):
        with pytest.raises(QuillpenError):
            torch_pickle.load(zip_with(tmp_path / f"b{i}.bin", pickled))
    assert torch_pickle._rebuild_parameter.__defaults__ == defaults
    assert torch_pickle._SAFE_GLOBALS[("torch", "FloatStorage")].name == "FloatStorage"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("vocab_size", 3_000_000, "describes"),
        ("vocab_size", 30_000_000, "out of range"),
        ("n_layer", 10**8, "out of range"),
        ("n_layer", 100_000, "describes"),
        ("n_embd", 10**400, "out of range"),
        ("layer_norm_epsilon", float("nan"), "layer_norm_epsilon"),
        ("n_head", 10**400, "out of range"),
    ],
)
def test_config_values_are_bounded_by_the_files(
    tiny_checkpoint: Path, tmp_path: Path, field: str, value: object, message: str
) -> None:
    src = tmp_path / "ckpt"
    src.mkdir()
    for f in tiny_checkpoint.iterdir():
        (src / f.name).symlink_to(f)
    config = json.loads((tiny_checkpoint / "config.json").read_text())
    (src / "config.json").unlink()
    (src / "config.json").write_text(json.dumps({**config, field: value}))
    with peak_memory() as peak, pytest.raises(QuillpenError, match=message):
        convert(src, tmp_path / "out.gguf")
    assert peak[0] < 32 * MB, peak
    assert not list(tmp_path.glob("out.gguf*"))


def test_a_deeply_nested_config_is_not_a_traceback(tiny_checkpoint: Path, tmp_path: Path) -> None:
    src = tmp_path / "ckpt"
    src.mkdir()
    for f in tiny_checkpoint.iterdir():
        if f.name != "config.json":
            (src / f.name).symlink_to(f)
    (src / "config.json").write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(QuillpenError, match="not valid JSON"):
        convert(src, tmp_path / "out.gguf")


def test_conversion_children_run_under_a_memory_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = make_checkpoint(tmp_path / "ckpt", n_ctx=64)
    monkeypatch.setenv(child_job.CONVERT_DELAY_ENV, "30")
    cancel = threading.Event()
    failed: list[BaseException] = []

    def job() -> None:
        try:
            child_job.run("convert", out=tmp_path / "o.gguf", cancel=cancel, src=src, type="f16")
        except BaseException as exc:
            failed.append(exc)

    thread = threading.Thread(target=job)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not (tmp_path / "o.gguf.partial").exists():
            assert time.monotonic() < deadline and thread.is_alive(), failed
            time.sleep(0.02)
        [proc] = list(child_job._running)
        limits = Path(f"/proc/{proc.pid}/limits").read_text()
    finally:
        cancel.set()
        thread.join(10)
    [line] = [x for x in limits.splitlines() if x.startswith("Max address space")]
    assert line.split()[3] == str(child_job.memory_limit(src)), line
