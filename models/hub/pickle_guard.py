"""Guards around the restricted unpickler: bounds checked first, and fresh stand-ins.

A few bytes can cost gigabytes: a 7-byte pickle with ``LONG_BINPUT 2**26`` makes the C unpickler
allocate a memo of 2**26 slots (1 GB), a 1 MB deflated ``data.pkl`` inflates to gigabytes, and a
zip's central directory can list millions of members. Each is refused with a
:class:`QuillpenError` first.

The allowed globals are handed out as fresh :class:`Stand` objects, so a pickle's BUILD cannot
rewrite shared ones (a function's ``__defaults__``) for the rest of the process.
"""

from __future__ import annotations

import pickletools
import struct
import zipfile
from pathlib import Path
from typing import IO, Any

from models.errors import QuillpenError

MAX_PICKLE = 64 * 1024 * 1024
"""Bytes of ``data.pkl`` (a GPT-2 state dict's is tens of KB; the largest models' a few MB)."""
MAX_MEMBERS = 20_000
"""Members of a checkpoint zip (one per storage, plus three)."""
MAX_MEMO = 1_000_000
"""Highest memo index a pickle may use (one per object it shares: a few per tensor)."""
_MEMO_OPS = {"PUT", "BINPUT", "LONG_BINPUT", "GET", "BINGET", "LONG_BINGET"}
_EOCD = b"PK\x05\x06"


def no_build(self: object, state: object) -> None:
    """A pickle's BUILD on a stand-in (to rewrite it) is refused."""
    raise QuillpenError("the checkpoint's pickle tries to modify a torch class or function")


class Stand:
    """A fresh stand-in for one allowed function or class, handed out per reference: a pickle
    can neither rewrite it (BUILD) nor reach the shared object behind it."""

    __slots__ = ("_call",)

    def __init__(self, call: Any) -> None:
        self._call = call

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._call(*args, **kwargs)

    __setstate__ = no_build


class Capped:
    """``file`` for (un)pickling, whose ``read(n)`` never asks for more than the file has left:
    a claimed 4 GB string in a 7-byte pickle allocates nothing."""

    def __init__(self, file: IO[bytes]) -> None:
        self.file = file
        here = file.tell()
        self.size = file.seek(0, 2)
        file.seek(here)

    def read(self, n: int = -1) -> bytes:
        left = max(0, self.size - self.file.tell())
        return self.file.read(left if n is None or n < 0 else min(n, left))

    def readline(self, limit: int = -1) -> bytes:
        return self.file.readline(limit)

    def tell(self) -> int:
        return self.file.tell()

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.file.seek(offset, whence)


def check_pickle(file: IO[bytes] | Capped) -> None:
    """Scan one pickle from ``file``'s position (left where it was): refuse a memo index past
    :data:`MAX_MEMO`, or a pickle longer than :data:`MAX_PICKLE`."""
    start = file.tell()
    try:
        for opcode, arg, pos in pickletools.genops(file):  # type: ignore[arg-type]
            if pos is not None and pos - start > MAX_PICKLE:
                raise QuillpenError(f"a pickle over {MAX_PICKLE >> 20} MB: refused")
            if opcode.name in _MEMO_OPS and (not isinstance(arg, int) or not 0 <= arg <= MAX_MEMO):
                raise QuillpenError(
                    f"a pickle with a memo index over {MAX_MEMO:,} (a memory bomb, or damage): "
                    "refused"
                )
    except QuillpenError:
        raise
    except Exception as exc:  # a malformed pickle: the unpickler would say the same
        raise QuillpenError(f"damaged or unsupported pickle ({exc})") from None
    finally:
        file.seek(start)


def check_zip_directory(file: IO[bytes], path: Path) -> None:
    """Refuse a zip whose central directory lists over :data:`MAX_MEMBERS` members, before
    :class:`zipfile.ZipFile` reads it all into memory."""
    size = file.seek(0, 2)
    tail_start = max(0, size - (65535 + 22))
    file.seek(tail_start)
    tail = file.read()
    file.seek(0)
    at = tail.rfind(_EOCD)
    if at < 0 or at + 22 > len(tail):
        return  # zipfile will say what is wrong
    (count,) = struct.unpack("<H", tail[at + 10 : at + 12])
    if count > MAX_MEMBERS:
        raise QuillpenError(f"{path}: a zip of {count:,} members is not a checkpoint: refused")


def check_zip(archive: zipfile.ZipFile, pickle_name: str, path: Path) -> None:
    """Refuse too many members (zip64 counts too), or a ``data.pkl`` that inflates too far."""
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise QuillpenError(f"{path}: a zip of {len(infos):,} members is not a checkpoint: refused")
    if archive.getinfo(pickle_name).file_size > MAX_PICKLE:
        raise QuillpenError(f"{path}: its data.pkl is over {MAX_PICKLE >> 20} MB: refused")
