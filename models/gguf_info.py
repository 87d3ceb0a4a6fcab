"""Read and validate a GGUF file's header before llama.cpp sees it.

llama.cpp reports a bad file only as "failed to load"; reading the header here lets us say
*why* (not GGUF, truncated, another architecture) in one clear line.
"""

from __future__ import annotations

import os
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


def _field(reader: Any, key: str) -> Any:
    field = reader.fields.get(key)
    if field is None:
        return None
    return field.contents()


def read_info(path: str | os.PathLike[str]) -> GgufInfo:
    """Header facts of ``path``, or a QuillpenError saying what is wrong with it."""
    import gguf

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
    try:
        reader = gguf.GGUFReader(path, "r")
    except Exception as exc:  # GGUFReader raises ValueError, IndexError, struct errors...
        raise QuillpenError(f"{path}: damaged or truncated GGUF file ({exc})") from None
    end = max((t.data_offset + t.n_bytes for t in reader.tensors), default=0)
    if end > size or not reader.tensors:
        raise QuillpenError(f"{path}: truncated GGUF file (an interrupted download?)")
    arch = str(_field(reader, "general.architecture") or "?")
    if arch not in SUPPORTED_ARCHITECTURES:
        raise QuillpenError(
            f"{path}: architecture {arch!r} is not supported: quillpen runs GPT-2 models"
        )
    file_type = _field(reader, "general.file_type")
    try:
        import gguf.constants as gc

        ftype_name = gc.LlamaFileType(int(file_type)).name.removeprefix("MOSTLY_")
    except (TypeError, ValueError):
        ftype_name = "?"
    return GgufInfo(
        path=path,
        architecture=arch,
        # Shown in the app and the status bar: a file's name must not carry escape sequences.
        name=printable(str(_field(reader, "general.name") or "")).strip() or path.stem,
        n_ctx_train=int(_field(reader, f"{arch}.context_length") or 1024),
        n_embd=int(_field(reader, f"{arch}.embedding_length") or 0),
        n_layer=int(_field(reader, f"{arch}.block_count") or 0),
        file_type=ftype_name.replace("ALL_", ""),
        size=size,
        chat_template=_field(reader, "tokenizer.chat_template"),
    )
