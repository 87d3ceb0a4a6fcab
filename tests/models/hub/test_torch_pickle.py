"""models/hub/torch_pickle.py: pytorch_model.bin read without torch, and no pickle ever runs code.

The .bin files are written here without torch, in both of torch.save's formats (tests/tinymodel:
a zip of ``data.pkl`` + raw storages, and the pre-1.6 stream of pickles + storages).
"""

from __future__ import annotations

import builtins
import io
import os
import pickle
import struct
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from models.errors import QuillpenError
from models.hub import torch_pickle
from models.hub.torch_pickle import UnsafePickleError
from tests.support.tinymodel import (
    FakeStorage,
    FakeTensor,
    TorchPickler,
    _state,
    write_torch_legacy,
    write_torch_zip,
)

WRITERS: dict[str, Callable[[Path, Any], Path]] = {
    "zip": write_torch_zip,
    "legacy": write_torch_legacy,
}


def sample_tensors() -> dict[str, Any]:
    rng = np.random.default_rng(3)
    shared = FakeStorage(np.arange(24, dtype=np.float32))
    bf16_source = rng.standard_normal(6).astype(np.float32)
    bf16 = FakeStorage((bf16_source.view(np.uint32) >> 16).astype(np.uint16), "BFloat16Storage")
    return {
        "f32": rng.standard_normal((3, 5)).astype(np.float32),
        "f16": rng.standard_normal((4, 2)).astype(np.float16),
        "i64": np.arange(7, dtype=np.int64),
        "mask": np.tril(np.ones((1, 1, 4, 4), dtype=bool)),
        "scalar": np.array(-1e4, dtype=np.float32),
        "empty": np.zeros((0, 3), dtype=np.float32),
        # Views: two tensors in one storage at offsets, and a transposed (non-contiguous) one.
        "view_a": FakeTensor(shared, 0, (2, 3), (3, 1)),
        "view_b": FakeTensor(shared, 6, (3, 4), (4, 1)),
        "transposed": FakeTensor(shared, 0, (4, 6), (1, 4)),
        "bf16": FakeTensor(bf16, 0, (2, 3), (3, 1)),
    }


def expected() -> dict[str, np.ndarray]:
    t = sample_tensors()
    flat = np.arange(24, dtype=np.float32)
    bf16 = t["bf16"].storage.data.astype(np.uint32) << 16
    return {
        **{k: t[k] for k in ("f32", "f16", "i64", "mask", "scalar", "empty")},
        "view_a": flat[:6].reshape(2, 3),
        "view_b": flat[6:18].reshape(3, 4),
        "transposed": flat.reshape(6, 4).T,
        "bf16": bf16.view(np.float32).reshape(2, 3),
    }


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_reads_every_tensor_of_both_formats(tmp_path: Path, fmt: str) -> None:
    path = WRITERS[fmt](tmp_path / "pytorch_model.bin", sample_tensors())
    checkpoint = torch_pickle.load(path)
    want = expected()
    assert list(checkpoint.keys()) == list(sample_tensors())
    for name, array in want.items():
        got = checkpoint.tensor(name)
        assert checkpoint.shape(name) == array.shape
        assert got.dtype == array.dtype, name
        assert got.flags.c_contiguous
        np.testing.assert_array_equal(got, array, err_msg=name)


def test_zip_archive_folder_may_have_any_name(tmp_path: Path) -> None:
    """torch names the folder after the file (``pytorch_model/``), or ``archive/`` for buffers."""
    ones = np.ones(3, np.float32)
    path = write_torch_zip(tmp_path / "weights.bin", {"w": ones}, archive="archive")
    assert "archive/data.pkl" in zipfile.ZipFile(path).namelist()
    np.testing.assert_array_equal(torch_pickle.load(path).tensor("w"), ones)


def test_storages_are_memory_mapped_and_aligned(tmp_path: Path) -> None:
    path = write_torch_zip(tmp_path / "pytorch_model.bin", {"w": np.arange(64, dtype=np.float32)})
    data = torch_pickle.load(path).tensors["w"].storage.array()
    assert isinstance(data, np.memmap)
    assert data.offset % 64 == 0  # torch pads the zip's extra field so storages align


def test_training_checkpoint_wrapper_is_unwrapped(tmp_path: Path) -> None:
    buf = io.BytesIO()
    pickler = TorchPickler(buf)
    pickler.dump({"epoch": 3, "state_dict": _state({"w": np.ones(2, np.float32)})})
    path = tmp_path / "ckpt.bin"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("ckpt/data.pkl", buf.getvalue())
        zf.writestr("ckpt/data/0", np.ones(2, np.float32).tobytes())
    assert list(torch_pickle.load(path).keys()) == ["w"]


def test_damaged_files_are_clear_errors(tmp_path: Path) -> None:
    good = write_torch_legacy(tmp_path / "good.bin", {"w": np.ones(1000, np.float32)})
    cut = tmp_path / "cut.bin"
    cut.write_bytes(good.read_bytes()[:-100])
    with pytest.raises(QuillpenError, match="truncated"):
        torch_pickle.load(cut)

    (tmp_path / "text.bin").write_text("hello")
    with pytest.raises(QuillpenError, match="not a PyTorch checkpoint"):
        torch_pickle.load(tmp_path / "text.bin")

    zipped = write_torch_zip(tmp_path / "z.bin", {"w": np.ones(4, np.float32)})
    stripped = tmp_path / "stripped.bin"
    with zipfile.ZipFile(zipped) as src, zipfile.ZipFile(stripped, "w") as dst:
        for name in src.namelist():
            if "/data/" not in name:
                dst.writestr(name.replace("z/", "stripped/"), src.read(name))
    with pytest.raises(QuillpenError, match="storage 0 is missing"):
        torch_pickle.load(stripped)

    # A view that claims more elements than its storage holds is refused, not read past.
    storage = FakeStorage(np.ones(4, np.float32))
    over = write_torch_zip(tmp_path / "over.bin", {"w": FakeTensor(storage, 2, (4,), (1,))})
    with pytest.raises(QuillpenError, match="past its storage"):
        torch_pickle.load(over).tensor("w")


# -- the restricted unpickler: nothing runs ---------------------------------------------------


class Payload:
    """Pickles as a call of ``func(*args)``: what a malicious checkpoint contains."""

    def __init__(self, func: Any, *args: Any) -> None:
        self.func, self.args = func, args

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return self.func, self.args


def payloads(marker: Path) -> dict[str, Payload]:
    return {
        "os.system": Payload(os.system, f"touch {marker}"),
        "builtins.eval": Payload(builtins.eval, f"open({str(marker)!r}, 'w')"),
        "builtins.exec": Payload(builtins.exec, f"open({str(marker)!r}, 'w')"),
        "subprocess.Popen": Payload(subprocess.Popen, ["touch", str(marker)]),
        "builtins.open": Payload(builtins.open, str(marker), "w"),
        "os.makedirs": Payload(os.makedirs, str(marker)),
        "numpy.frombuffer": Payload(np.frombuffer, b"\0" * 4),
    }


def test_the_payloads_do_run_under_plain_pickle(tmp_path: Path) -> None:
    """The control: loaded with ``pickle`` itself, a payload creates the marker file."""
    marker = tmp_path / "ran"
    pickle.loads(pickle.dumps(payloads(marker)["builtins.open"], protocol=2)).close()
    assert marker.exists()


def _zip_with(path: Path, pickled: bytes) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("pytorch_model/data.pkl", pickled)
        zf.writestr("pytorch_model/version", "3\n")
    return path


def _legacy_with(path: Path, where: str, pickled: bytes) -> Path:
    """A legacy file whose sys-info, main or storage-keys pickle is ``pickled``."""
    parts = {
        "sys_info": pickle.dumps({"little_endian": True}, protocol=2),
        "main": pickle.dumps({}, protocol=2),
        "keys": pickle.dumps([], protocol=2),
    }
    parts[where] = pickled
    head = pickle.dumps(torch_pickle.LEGACY_MAGIC, protocol=2) + pickle.dumps(1001, protocol=2)
    path.write_bytes(head + parts["sys_info"] + parts["main"] + parts["keys"])
    return path


@pytest.mark.parametrize("name", sorted(payloads(Path("x"))))
def test_refuses_any_global_outside_the_allowlist(tmp_path: Path, name: str) -> None:
    marker = tmp_path / "ran"
    payload = payloads(marker)[name]
    for protocol in (0, 2):
        bad = pickle.dumps(payload, protocol=protocol)
        inside = pickle.dumps({"w": payload}, protocol=protocol)  # next to the tensors
        files = [
            _zip_with(tmp_path / "top.bin", bad),
            _zip_with(tmp_path / "inside.bin", inside),
            *(_legacy_with(tmp_path / f"{w}.bin", w, bad) for w in ("sys_info", "main", "keys")),
        ]
        for path in files:
            with pytest.raises(UnsafePickleError) as info:
                torch_pickle.load(path)
            attr = name.rpartition(".")[2]  # (modules as pickled: posix.system, __builtin__.eval)
            assert attr in str(info.value) and "refusing" in str(info.value)
    assert not marker.exists()


def test_refusal_names_the_global(tmp_path: Path) -> None:
    """The message says which global was asked for, as the pickle spells it."""
    pickled = b"\x80\x02ctorch.nn.modules.linear\nLinear\nq\x00)\x81q\x01."
    with pytest.raises(UnsafePickleError, match=r"torch\.nn\.modules\.linear\.Linear"):
        torch_pickle.load(_zip_with(tmp_path / "module.bin", pickled))


def test_refuses_saved_modules_and_calling_a_storage_type(tmp_path: Path) -> None:
    # Legacy files of whole models carry ('module', cls, source_file, source) persistent ids.
    module_pid = pickle.PROTO + b"\x02(X\x06\x00\x00\x00moduleNNNtQ."
    with pytest.raises(UnsafePickleError, match="'module' object"):
        torch_pickle.load(_legacy_with(tmp_path / "m.bin", "main", module_pid))
    # The allowlisted storage types are stand-ins: calling one is an error, not a call.
    call = b"\x80\x02ctorch\nFloatStorage\nK\x03\x85R."
    with pytest.raises(QuillpenError, match="damaged or unsupported pickle"):
        torch_pickle.load(_zip_with(tmp_path / "call.bin", call))


def test_legacy_storage_sizes_are_little_endian_int64(tmp_path: Path) -> None:
    """The pre-1.6 layout, byte for byte: each storage is its int64 element count, then data."""
    path = write_torch_legacy(tmp_path / "l.bin", {"w": np.arange(3, dtype=np.float32)})
    raw = path.read_bytes()
    tail = struct.pack("<q", 3) + np.arange(3, dtype="<f4").tobytes()
    assert raw.endswith(tail)
    assert torch_pickle.load(path).tensors["w"].storage.array().offset == len(raw) - 12
