"""A document on disk: open with care, save atomically, notice outside changes.

Its recovery journal (a copy of the unsaved text) lives in :mod:`tui.store.journal`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from models.errors import QuillpenError
from models.text import printable
from tui.store.keys import document_key

MAX_MB = 50
MAX_BYTES = MAX_MB * 1024 * 1024
"""Larger files are refused (MB here and in the message: 1024 × 1024 bytes, as safety.md)."""
BINARY_SNIFF = 8192


class NotUtf8(QuillpenError):
    """The file is not UTF-8; the user may choose to open it as Latin-1."""


class DiskState(NamedTuple):  # (made at import 6x faster than a frozen dataclass)
    mtime_ns: int
    size: int

    @classmethod
    def of(cls, path: Path) -> DiskState | None:
        try:
            st = path.stat()
        except OSError:
            return None
        return cls(st.st_mtime_ns, st.st_size)


@dataclass
class Document:
    """The file behind the editor. ``path`` is None for an untitled document."""

    path: Path | None = None
    encoding: str = "utf-8"
    newline: str = "\n"
    disk: DiskState | None = None
    notices: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """For display (title bar, questions): a file name may hold escape sequences."""
        return printable(self.path.name) if self.path else "untitled"

    @property
    def key(self) -> str:
        """A stable id for per-document data (chat history, notes, journal)."""
        return document_key(self.path)

    @classmethod
    def open(cls, path: Path | None, *, encoding: str | None = None) -> tuple[Document, str]:
        """Read ``path`` (a missing file is a new, empty document)."""
        if path is None:
            return cls(), ""
        path = Path(path).expanduser()
        if path.is_dir():
            raise QuillpenError(f"{path} is a directory")
        if not path.exists():
            return cls(path=path), ""
        try:
            st = path.stat()
            if not stat.S_ISREG(st.st_mode):  # reading a pipe or /dev/zero would never end
                raise QuillpenError(f"{path} is not a regular file (a device, pipe or socket)")
            size = st.st_size
            if size > MAX_BYTES:
                raise QuillpenError(
                    f"{path.name} is {size / 2**20:.0f} MB; quillpen opens files up to {MAX_MB} MB"
                )
            data = path.read_bytes()
        except PermissionError:
            raise QuillpenError(f"cannot read {path}: permission denied") from None
        except OSError as exc:
            raise QuillpenError(f"cannot read {path}: {exc.strerror or exc}") from None
        if b"\x00" in data[:BINARY_SNIFF]:
            raise QuillpenError(f"{path.name} looks like a binary file, not text")
        if encoding is None:
            try:
                text = data.decode("utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8")
                encoding = "utf-8"
            except UnicodeDecodeError as exc:
                raise NotUtf8(
                    f"{path.name} is not UTF-8 (byte {exc.start}); open it as Latin-1?"
                ) from None
        else:
            text = data.decode(encoding, errors="strict")
        newline = "\r\n" if "\r\n" in text else "\n"
        doc = cls(path=path, encoding=encoding, newline=newline, disk=DiskState.of(path))
        return doc, text.replace("\r\n", "\n")

    def changed_on_disk(self) -> bool:
        """True when the file was changed (or removed) by something else since we read it."""
        if self.path is None or self.disk is None:
            return False
        return DiskState.of(self.path) != self.disk

    def save(self, text: str, path: Path | None = None) -> None:
        """Write atomically: temp file in the same folder, fsync, rename; keep permissions."""
        chosen = path or self.path
        if chosen is None:  # (Path("") would be ".", the current folder)
            raise QuillpenError("this document has no file name yet")
        link = Path(chosen).expanduser()
        # Through a symlink, write the file it points to: the link stays a link.
        target = Path(os.path.realpath(link)) if link.is_symlink() else link
        data = self._encode(text.replace("\n", self.newline))
        folder = target.parent if str(target.parent) else Path(".")
        try:
            mode = target.stat().st_mode & 0o7777 if target.exists() else None
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
        except OSError as exc:
            raise QuillpenError(f"cannot save {target}: {exc.strerror or exc}") from None
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            if mode is not None:
                os.chmod(tmp, mode)
            else:
                umask = os.umask(0)
                os.umask(umask)
                os.chmod(tmp, 0o666 & ~umask)
            os.replace(tmp, target)
            _fsync_dir(folder)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            reason = "the disk is full" if exc.errno == errno.ENOSPC else exc.strerror or str(exc)
            raise QuillpenError(
                f"cannot save {target}: {reason}; your text is still here"
            ) from None
        self.path = link
        self.disk = DiskState.of(link)
        _remove_stale_temps(target)

    def first_misfit(self, text: str) -> int | None:
        """Where ``text`` has its first character the file's encoding cannot hold (None: it
        fits)."""
        try:
            text.encode(self.encoding)
        except UnicodeEncodeError as exc:
            return exc.start
        return None

    def _encode(self, text: str) -> bytes:
        try:
            return text.encode(self.encoding)
        except UnicodeEncodeError:
            self.notices.append(f"saved as UTF-8: the text no longer fits {self.encoding}")
            self.encoding = "utf-8"
            return text.encode("utf-8")


def _remove_stale_temps(target: Path, older_than: float = 60.0) -> None:
    """Delete temp files that interrupted saves of ``target`` left behind (never recent ones)."""
    import glob  # (only when saving)

    cutoff = time.time() - older_than
    for tmp in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        with contextlib.suppress(OSError):
            if tmp.stat().st_mtime < cutoff:
                tmp.unlink()


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
