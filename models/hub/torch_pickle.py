"""Read a ``pytorch_model.bin`` state dict without torch, and without running its pickle.

``torch.save`` writes a pickle whose tensors point at raw storages by *persistent id*:

- **zip format** (torch ≥ 1.6): a stored (uncompressed) zip with ``<archive>/data.pkl``, one
  ``<archive>/data/<key>`` member per storage, ``<archive>/version`` and (newer)
  ``<archive>/byteorder``. ``<archive>`` is the file's stem when torch saved to a path
  (``pytorch_model/``) and ``archive/`` when it saved to a buffer. Persistent ids are
  ``('storage', StorageType, key, location, numel)``.
- **legacy format** (torch < 1.6, or ``_use_new_zipfile_serialization=False``): pickles of the
  magic number, the protocol version (1001) and a sys-info dict, then the main pickle, then the
  sorted list of storage keys, then each storage as an int64 element count and its raw bytes.
  Persistent ids carry a sixth field, ``view_metadata``.

A pickle can call any importable function. :class:`_Unpickler` resolves only the globals a
state dict needs and maps each to a harmless stand-in defined here; anything else raises
:class:`UnsafePickleError` naming the global, before it is looked up, so nothing runs. Storages
become memory-mapped numpy arrays: a tensor's bytes are read only when :meth:`tensor` asks.
"""

from __future__ import annotations

import collections
import io
import math
import pickle
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from models.errors import QuillpenError
from models.hub.pickle_guard import (
    Capped,
    Stand,
    check_pickle,
    check_zip,
    check_zip_directory,
    no_build,
)

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001

# torch storage type → numpy dtype (bfloat16 is read as uint16 and widened to float32).
STORAGE_DTYPES: dict[str, str] = {
    "FloatStorage": "<f4",
    "HalfStorage": "<f2",
    "BFloat16Storage": "<u2",
    "DoubleStorage": "<f8",
    "LongStorage": "<i8",
    "IntStorage": "<i4",
    "ShortStorage": "<i2",
    "CharStorage": "i1",
    "ByteStorage": "u1",
    "BoolStorage": "?",
}


class UnsafePickleError(QuillpenError):
    """The checkpoint's pickle asks for something a plain state dict never contains."""


@dataclass(frozen=True)
class _StorageType:
    """Stands in for ``torch.FloatStorage`` & co.: a name, never callable."""

    name: str

    @property
    def dtype(self) -> np.dtype[Any]:
        return np.dtype(STORAGE_DTYPES[self.name])

    __setstate__ = no_build


@dataclass
class _Storage:
    """One raw storage: where its bytes are, read (memory-mapped) on first use."""

    key: str
    kind: _StorageType
    numel: int
    source: _StorageSource

    def array(self) -> np.ndarray:
        return self.source.array(self)


@dataclass(frozen=True)
class LazyTensor:
    """A tensor of the state dict; :meth:`numpy` reads its data."""

    storage: _Storage
    offset: int
    shape: tuple[int, ...]
    stride: tuple[int, ...]

    @property
    def bfloat16(self) -> bool:
        return self.storage.kind.name == "BFloat16Storage"

    def numpy(self) -> np.ndarray:
        """The data as a C-contiguous array (float32 for bfloat16 storages)."""
        try:
            return self._numpy()
        except QuillpenError:
            raise
        except Exception as exc:  # (numpy on odd shapes: ValueError, MemoryError, ...)
            raise QuillpenError(
                f"tensor in storage {self.storage.key}: unreadable ({type(exc).__name__})"
            ) from None

    def _numpy(self) -> np.ndarray:
        data = self.storage.array()
        count = math.prod(self.shape)
        if any(s < 0 for s in self.stride) or self.offset < 0 or any(n < 0 for n in self.shape):
            raise QuillpenError(f"tensor in storage {self.storage.key}: negative stride/offset")
        if count > data.shape[0]:
            raise QuillpenError(
                f"tensor in storage {self.storage.key} has more elements than its storage "
                f"({count} > {data.shape[0]}: a stride-0 view, or damage): refused"
            )
        if count == 0:
            out = np.zeros(self.shape, dtype=data.dtype)
        else:
            dims = zip(self.shape, self.stride, strict=True)
            last = self.offset + sum((n - 1) * s for n, s in dims)
            if last >= data.shape[0]:
                raise QuillpenError(
                    f"tensor in storage {self.storage.key} reaches past its storage "
                    f"({last + 1} > {data.shape[0]} elements): damaged checkpoint"
                )
            if self.stride == _contiguous_strides(self.shape):
                out = data[self.offset : self.offset + count].reshape(self.shape)
            else:  # a transposed or sliced view: copy it into a contiguous array
                item = data.dtype.itemsize
                view = np.lib.stride_tricks.as_strided(
                    data[self.offset :],
                    shape=self.shape,
                    strides=tuple(s * item for s in self.stride),
                    writeable=False,
                )
                out = np.ascontiguousarray(view)
        if self.bfloat16:
            return (out.astype(np.uint32) << 16).view(np.float32)
        return out


def _contiguous_strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= max(n, 1)
    return tuple(reversed(strides))


def _rebuild_tensor(storage: Any, offset: Any, size: Any, stride: Any) -> LazyTensor:
    if not isinstance(storage, _Storage):
        raise UnsafePickleError("a tensor's storage is not a storage reference")
    try:
        shape = tuple(int(n) for n in size)
        strides = tuple(int(s) for s in stride)
        start = int(offset)
    except (TypeError, ValueError):
        raise QuillpenError("a tensor has a malformed shape or stride") from None
    if len(shape) != len(strides):
        raise QuillpenError("a tensor's shape and stride differ in length")
    return LazyTensor(storage, start, shape, strides)


def _rebuild_tensor_v2(
    storage: Any, offset: Any, size: Any, stride: Any, *_rest: Any, **_kw: Any
) -> LazyTensor:
    # (requires_grad, backward_hooks[, metadata]) carry nothing a converter needs.
    return _rebuild_tensor(storage, offset, size, stride)


def _rebuild_parameter(data: Any, *_rest: Any) -> Any:
    return data


_SAFE_GLOBALS: dict[tuple[str, str], Any] = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
} | {("torch", name): _StorageType(name) for name in STORAGE_DTYPES}


class _Unpickler(pickle.Unpickler):
    """Resolves only :data:`_SAFE_GLOBALS`; storages come from ``storages``."""

    def __init__(self, file: IO[bytes], storages: _StorageSource | None) -> None:
        super().__init__(file, encoding="utf-8")
        self.storages = storages

    def find_class(self, module: str, name: str) -> Any:
        found = _SAFE_GLOBALS.get((module, name))
        if isinstance(found, _StorageType):
            return _StorageType(found.name)
        if found is not None:
            return Stand(found)
        raise UnsafePickleError(
            f"the checkpoint's pickle refers to {module}.{name}, which a state dict never "
            "needs; refusing to load it (nothing in it was run)"
        )

    def persistent_load(self, pid: Any) -> Any:
        if self.storages is None:
            raise UnsafePickleError("unexpected storage reference outside the state dict")
        return self.storages.resolve(pid)


def _unpickle(file: IO[bytes], storages: _StorageSource | None) -> Any:
    capped = Capped(file)
    check_pickle(capped)
    try:
        return _Unpickler(capped, storages).load()  # type: ignore[arg-type]
    except QuillpenError:
        raise
    except Exception as exc:  # any malformed pickle; nothing unsafe could have run
        raise QuillpenError(f"damaged or unsupported pickle ({exc})") from None


class _StorageSource:
    """Turns persistent ids into storages and storages into arrays, for one file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.storages: dict[str, _Storage] = {}
        self.offsets: dict[str, tuple[int, int]] = {}  # key → (byte offset, byte length)
        self.big_endian = False  # zip files record the saver's byte order; legacy data is LE

    def resolve(self, pid: Any) -> _Storage:
        if not isinstance(pid, tuple) or not pid:
            raise UnsafePickleError(f"unexpected persistent id {type(pid).__name__}")
        kind = pid[0].decode("ascii") if isinstance(pid[0], bytes) else pid[0]
        if kind != "storage":
            raise UnsafePickleError(
                f"the checkpoint holds a {kind!r} object, not only tensors; refusing to load it"
            )
        fields = pid[1:]
        if len(fields) == 5 and fields[4] is not None:
            raise QuillpenError("storage views (a legacy torch.save feature) are not supported")
        if len(fields) not in (4, 5) or not isinstance(fields[0], _StorageType):
            raise UnsafePickleError("malformed storage reference in the checkpoint")
        storage_type, key, _location, numel = fields[:4]
        key = str(key)
        known = self.storages.get(key)
        if known is None:
            known = self.storages[key] = _Storage(key, storage_type, int(numel), self)
        elif known.kind != storage_type:
            raise QuillpenError(f"storage {key} is used with two element types")
        return known

    def array(self, storage: _Storage) -> np.ndarray:
        if storage.key not in self.offsets:
            raise QuillpenError(f"storage {storage.key} is missing from the checkpoint")
        start, length = self.offsets[storage.key]
        dtype = storage.kind.dtype.newbyteorder(">" if self.big_endian else "<")
        if length < storage.numel * dtype.itemsize:
            raise QuillpenError(f"storage {storage.key} is truncated: damaged checkpoint")
        if storage.numel == 0:
            return np.zeros(0, dtype=dtype)
        return np.memmap(self.path, dtype=dtype, mode="r", offset=start, shape=(storage.numel,))


@dataclass
class TorchCheckpoint:
    """The tensors of one ``pytorch_model.bin``, read lazily (keys and shapes are free)."""

    path: Path
    tensors: dict[str, LazyTensor]

    def keys(self) -> Iterator[str]:
        return iter(self.tensors)

    def shape(self, name: str) -> tuple[int, ...]:
        return self.tensors[name].shape

    def tensor(self, name: str) -> np.ndarray:
        return self.tensors[name].numpy()


def load(path: str | Path) -> TorchCheckpoint:
    """Open ``path`` (either torch format); a :class:`QuillpenError` says what is wrong."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            head = fh.read(4)
            fh.seek(0)
            if head.startswith(b"PK"):
                result, source = _load_zip(path, fh)
            elif head[:1] == pickle.PROTO:
                result, source = _load_legacy(path, fh)
            else:
                raise QuillpenError(f"{path}: not a PyTorch checkpoint")
    except OSError as exc:
        raise QuillpenError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except struct.error:
        raise QuillpenError(f"{path}: truncated checkpoint") from None
    except QuillpenError:
        raise
    except Exception as exc:  # whatever a damaged file makes zipfile or numpy raise
        raise QuillpenError(f"{path}: damaged checkpoint ({type(exc).__name__})") from None
    try:
        state = _state_dict(result, path)
    except QuillpenError:
        raise
    except Exception as exc:  # (a key whose str() fails, ...)
        raise QuillpenError(f"{path}: damaged checkpoint ({type(exc).__name__})") from None
    missing = {t.storage.key for t in state.values()} - set(source.offsets)
    if missing:
        raise QuillpenError(f"{path}: storage {sorted(missing)[0]} is missing (damaged file)")
    return TorchCheckpoint(path, state)


def _state_dict(result: Any, path: Path) -> dict[str, LazyTensor]:
    if isinstance(result, dict) and not any(isinstance(v, LazyTensor) for v in result.values()):
        for wrapper in ("state_dict", "model"):  # {"state_dict": {...}} training checkpoints
            if isinstance(result.get(wrapper), dict):
                result = result[wrapper]
                break
    if not isinstance(result, dict):
        raise QuillpenError(f"{path}: holds a {type(result).__name__}, not a state dict")
    return {str(k): v for k, v in result.items() if isinstance(v, LazyTensor)}


def _load_zip(path: Path, fh: IO[bytes]) -> tuple[Any, _StorageSource]:
    check_zip_directory(fh, path)
    try:
        archive = zipfile.ZipFile(fh)
    except zipfile.BadZipFile as exc:
        raise QuillpenError(f"{path}: damaged zip checkpoint ({exc})") from None
    with archive:
        pickles = [n for n in archive.namelist() if n.endswith("data.pkl") and n.count("/") == 1]
        if not pickles:
            raise QuillpenError(f"{path}: a zip without data.pkl is not a torch.save file")
        check_zip(archive, pickles[0], path)
        prefix = pickles[0][: -len("data.pkl")]
        source = _StorageSource(path)
        names = set(archive.namelist())
        if prefix + "byteorder" in names:
            source.big_endian = archive.read(prefix + "byteorder").strip() == b"big"
        result = _unpickle(io.BytesIO(archive.read(pickles[0])), source)
        for key in source.storages:
            member = f"{prefix}data/{key}"
            if member not in names:
                continue
            info = archive.getinfo(member)
            if info.compress_type != zipfile.ZIP_STORED:
                raise QuillpenError(f"{path}: compressed storage {key} (not written by torch)")
            source.offsets[key] = (_data_offset(fh, info), info.file_size)
    return result, source


def _data_offset(fh: IO[bytes], info: zipfile.ZipInfo) -> int:
    """Where a stored member's bytes start: after its local header, name and extra field."""
    fh.seek(info.header_offset)
    header = fh.read(30)
    if header[:4] != b"PK\x03\x04":
        raise QuillpenError("damaged zip checkpoint (bad local header)")
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    return info.header_offset + 30 + name_len + extra_len


def _load_legacy(path: Path, fh: IO[bytes]) -> tuple[Any, _StorageSource]:
    magic = _unpickle(fh, None)
    if magic != LEGACY_MAGIC:
        raise QuillpenError(f"{path}: not a PyTorch checkpoint (bad magic number)")
    protocol = _unpickle(fh, None)
    if protocol != LEGACY_PROTOCOL:
        raise QuillpenError(f"{path}: unsupported torch.save protocol {protocol!r}")
    _unpickle(fh, None)  # sys_info: the saver's byte order, but storages are written LE
    source = _StorageSource(path)
    result = _unpickle(fh, source)
    keys = _unpickle(fh, None)
    if not isinstance(keys, list):
        raise QuillpenError(f"{path}: damaged checkpoint (no storage list)")
    offset = fh.tell()
    size = path.stat().st_size
    for key in keys:
        storage = source.storages.get(str(key))
        if storage is None:
            raise QuillpenError(f"{path}: storage {key} is listed but never used")
        fh.seek(offset)
        (numel,) = struct.unpack("<q", fh.read(8))
        length = numel * storage.kind.dtype.itemsize
        if numel < 0 or offset + 8 + length > size:
            raise QuillpenError(f"{path}: truncated checkpoint (storage {key})")
        source.offsets[str(key)] = (offset + 8, length)
        offset += 8 + length
    return result, source
