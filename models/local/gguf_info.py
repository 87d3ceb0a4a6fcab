"""Read and validate a GGUF file's header before llama.cpp sees it.

llama.cpp reports a bad file only as "failed to load"; reading the header here lets us say
*why* (not GGUF, truncated, another architecture) in one clear line.
"""

from __future__ import annotations

import mmap
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.errors import QuillpenError
from models.text import printable

GGUF_MAGIC = b"GGUF"
SUPPORTED_ARCHITECTURES = ("gpt2",)


@dataclass(frozen=True)
class GgufInfo:
    path: Path
    architecture: str
    name: str
    n_ctx_train: int
    n_embd: int
    n_layer: int
    file_type: str
    size: int
    chat_template: str | None


class _Header:
    """The key/values (scalars and strings; arrays only counted) and tensor extents of a file.

    Parsed with ``struct`` from the file's bytes: gguf's GGUFReader builds numpy views of every
    vocabulary entry and takes seconds for GPT-2's 50,257 tokens; this takes milliseconds.
    """

    _SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q"}
    _SCALARS |= {12: "d"}
    STRING, ARRAY = 8, 9

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 4
        self.fields: dict[str, Any] = {}
        self.shapes: dict[str, list[int]] = {}
        self.tensor_end = 0

    def _unpack(self, fmt: str) -> Any:
        value = struct.unpack_from("<" + fmt, self.data, self.pos)[0]
        self.pos += struct.calcsize("<" + fmt)
        return value

    def _string(self) -> str:
        n = self._unpack("Q")
        if self.pos + n > len(self.data):
            raise ValueError("string past the end of the file")
        raw = self.data[self.pos : self.pos + n]
        self.pos += n
        return raw.decode("utf-8", "replace")

    def _value(self, kind: int) -> Any:
        if kind == self.STRING:
            return self._string()
        if kind == self.ARRAY:
            item, count = self._unpack("I"), self._unpack("Q")
            if item == self.STRING:
                for _ in range(count):
                    self.pos += 8 + struct.unpack_from("<Q", self.data, self.pos)[0]
            elif item in self._SCALARS:
                self.pos += count * struct.calcsize(self._SCALARS[item])
            else:
                for _ in range(count):
                    self._value(item)
            if self.pos > len(self.data):
                raise ValueError("array past the end of the file")
            return count
        if kind not in self._SCALARS:
            raise ValueError(f"unknown value type {kind}")
        return self._unpack(self._SCALARS[kind])

    def parse(self) -> None:
        from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType

        version = self._unpack("I")
        if version not in (2, 3):
            raise ValueError(f"GGUF version {version} is not supported")
        n_tensors, n_kv = self._unpack("Q"), self._unpack("Q")
        for _ in range(n_kv):
            key = self._string()
            self.fields[key] = self._value(self._unpack("I"))
        extents = []
        for _ in range(n_tensors):
            name = self._string()
            dims = [self._unpack("Q") for _ in range(self._unpack("I"))]
            self.shapes[name] = dims
            kind, offset = self._unpack("I"), self._unpack("Q")
            block, size = GGML_QUANT_SIZES[GGMLQuantizationType(kind)]
            elements = 1
            for d in dims:
                elements *= d
            extents.append(offset + elements // block * size)
        if not extents:
            raise ValueError("no tensors")
        align = int(self.fields.get("general.alignment") or 32)
        start = -(-self.pos // align) * align
        self.tensor_end = start + max(extents)


def read_info(path: str | os.PathLike[str]) -> GgufInfo:
    """Header facts of ``path``, or a QuillpenError saying what is wrong with it."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            magic = fh.read(4)
    except FileNotFoundError:
        raise QuillpenError(f"{path}: no such model file") from None
    except IsADirectoryError:
        raise QuillpenError(f"{path}: is a directory, not a .gguf file") from None
    except PermissionError:
        raise QuillpenError(f"{path}: permission denied") from None
    except OSError as exc:
        raise QuillpenError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if size == 0:
        raise QuillpenError(f"{path}: the file is empty (an interrupted download?)")
    if magic != GGUF_MAGIC:
        raise QuillpenError(f"{path}: not a GGUF model file")
    header = _Header(_map(path))
    try:
        header.parse()
    except Exception as exc:  # struct errors, bad types, unknown quant types...
        raise QuillpenError(f"{path}: damaged or truncated GGUF file ({exc})") from None
    if header.tensor_end > size:
        raise QuillpenError(f"{path}: truncated GGUF file (an interrupted download?)")
    fields = header.fields
    arch = str(fields.get("general.architecture") or "?")
    if arch not in SUPPORTED_ARCHITECTURES:
        raise QuillpenError(
            f"{path}: architecture {arch!r} is not supported: quillpen runs GPT-2 models"
        )
    file_type = fields.get("general.file_type")
    try:
        import gguf.constants as gc

        ftype_name = gc.LlamaFileType(int(file_type)).name.removeprefix("MOSTLY_")  # type: ignore[arg-type]
    except (TypeError, ValueError):
        ftype_name = "?"
    return GgufInfo(
        path=path,
        architecture=arch,
        # Shown in the app and the status bar: a file's name must not carry escape sequences.
        name=printable(str(fields.get("general.name") or "")).strip() or path.stem,
        n_ctx_train=int(fields.get(f"{arch}.context_length") or 1024),
        n_embd=int(fields.get(f"{arch}.embedding_length") or 0),
        n_layer=int(fields.get(f"{arch}.block_count") or 0),
        file_type=ftype_name.replace("ALL_", ""),
        size=size,
        chat_template=fields.get("tokenizer.chat_template"),
    )


def header(path: Path) -> tuple[dict[str, Any], dict[str, list[int]]]:
    """A GGUF file's scalar and string keys, and each tensor's shape (GGUF order, ``ne``)."""
    try:
        parsed = _Header(_map(path))
        parsed.parse()
    except OSError as exc:
        raise QuillpenError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except Exception as exc:
        raise QuillpenError(f"{path}: damaged or not a GGUF file ({exc})") from None
    return parsed.fields, parsed.shapes


def _map(path: Path) -> bytes:
    """The file's bytes, memory-mapped (only the header's pages are ever read)."""
    with path.open("rb") as fh:
        try:
            return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)  # type: ignore[return-value]
        except (OSError, ValueError):  # not mappable (a pipe, an odd filesystem)
            return fh.read()
