"""Read and validate a GGUF file's header before llama.cpp sees it.

llama.cpp reports a bad file only as "failed to load"; reading the header here lets us say
*why* (not GGUF, truncated, another architecture) in one clear line.
"""

from __future__ import annotations

import math
import mmap
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.errors import QuillpenError
from models.text import printable

GGUF_MAGIC = b"GGUF"
TOKENS_KEY = "tokenizer.ggml.tokens"
MAX_LAYERS = 4096
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
        self.tensor_names: list[str] = []
        self.duplicate_token: str | None = None
        """A token the vocabulary lists twice (llama.cpp aborts on one)."""

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

    def _tokens(self) -> int:
        """The vocabulary (an array of strings): its length, noting a duplicate."""
        start, count = self.pos, 0
        if self._unpack("I") != self.STRING:
            self.pos = start
            return int(self._value(self.ARRAY))
        count = self._unpack("Q")
        seen: set[bytes] = set()
        for _ in range(count):
            n = self._unpack("Q")
            token = bytes(self.data[self.pos : self.pos + n])
            self.pos += n
            if token in seen and self.duplicate_token is None:
                self.duplicate_token = token.decode("utf-8", "replace")
            seen.add(token)
        if self.pos > len(self.data):
            raise ValueError("array past the end of the file")
        return int(count)

    def parse(self) -> None:
        from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType

        version = self._unpack("I")
        if version not in (2, 3):
            raise ValueError(f"GGUF version {version} is not supported")
        n_tensors, n_kv = self._unpack("Q"), self._unpack("Q")
        for _ in range(n_kv):
            key = self._string()
            kind = self._unpack("I")
            if key == TOKENS_KEY and kind == self.ARRAY:
                self.fields[key] = self._tokens()
            else:
                self.fields[key] = self._value(kind)
        extents = []
        for _ in range(n_tensors):
            name = self._string()
            self.tensor_names.append(name)
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
    _check_model(path, header, arch)
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


def _check_model(path: Path, header: _Header, arch: str) -> None:
    """Fields llama.cpp trusts and aborts on (SIGABRT, not an error): refused here first."""
    fields = header.fields

    def damaged(why: str) -> QuillpenError:
        return QuillpenError(f"{path}: this model file is damaged ({why})")

    layers = fields.get(f"{arch}.block_count")  # (a missing one: llama.cpp says so itself)
    if layers is not None and (not isinstance(layers, int) or not 1 <= layers <= MAX_LAYERS):
        raise damaged(f"block_count is {layers!r}")
    blocks = {
        int(name.split(".")[1])
        for name in header.tensor_names
        if name.startswith("blk.") and name.split(".")[1].isdigit()
    }
    if layers is not None and blocks != set(range(layers)):
        raise damaged(f"block_count is {layers}, but its tensors make {len(blocks)} layers")
    for key in ("embedding_length", "context_length", "attention.head_count"):
        value = fields.get(f"{arch}.{key}")
        if value is not None and (not isinstance(value, int) or value < 1):
            raise damaged(f"{key} is {value!r}")
    heads, width = (
        fields.get(f"{arch}.attention.head_count"),
        fields.get(f"{arch}.embedding_length"),
    )
    if isinstance(heads, int) and isinstance(width, int) and width % heads:
        raise damaged("embedding_length is not a multiple of head_count")
    eps = fields.get(f"{arch}.attention.layer_norm_epsilon")
    if eps is not None and not (isinstance(eps, float) and math.isfinite(eps) and eps > 0):
        raise damaged(f"layer_norm_epsilon is {eps!r}")
    if header.duplicate_token is not None:
        raise damaged(f"its vocabulary lists {header.duplicate_token!r} twice")
