"""The writer's texts as a dataset of pieces: read, cleaned, split, and some held out.

A piece is one file, or one poem: a file whose blank-line-separated parts are all short (at
most :data:`POEM_LINES` lines each) is a collection of poems, and each part is a piece. Front
matter (a leading ``---`` … ``---`` block, as Markdown tools write it) is stripped. Whole pieces
are held out, never random lines: the last ones in file order (usually the most recent).
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from pathlib import Path

from models.errors import QuillpenError

SUFFIXES = (".txt", ".md", ".markdown", ".text")
POEM_LINES = 40
"""A blank-line-separated part longer than this is prose, and the file stays one piece."""
_FRONT_MATTER = re.compile(r"\A(?:\ufeff)?---[ \t]*\n.*?\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_BLANK = re.compile(r"\n[ \t]*\n+")


@dataclass(frozen=True)
class Corpus:
    """Training and held-out pieces, with the size and sha256 of the cleaned text."""

    train: list[str]
    held_out: list[str]
    files: int
    size: int
    sha256: str

    @property
    def train_chars(self) -> int:
        return sum(len(p) for p in self.train)

    @property
    def held_out_chars(self) -> int:
        return sum(len(p) for p in self.held_out)


def text_files(paths: list[Path]) -> list[Path]:
    """The .txt/.md files among ``paths`` and inside its folders, in a stable order."""
    found: list[Path] = []
    for path in paths:
        path = Path(path).expanduser()
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and _wanted(p)))
        elif path.is_file():
            found.append(path)
        else:
            raise QuillpenError(f"{path}: no such file or folder")
    return found


def _wanted(path: Path) -> bool:
    hidden = any(part.startswith(".") for part in path.parts[-1:])
    return path.suffix.lower() in SUFFIXES and not hidden


def read_text(path: Path) -> str:
    """A file's text, or a clear error for a binary or non-UTF-8 file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise QuillpenError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if b"\0" in data[:8192]:
        raise QuillpenError(f"{path}: a binary file, not text: leave it out")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise QuillpenError(f"{path}: not UTF-8 text: save it as UTF-8 or leave it out") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def strip_front_matter(text: str) -> str:
    return _FRONT_MATTER.sub("", text, count=1)


def pieces_of(text: str) -> list[str]:
    """One piece, or several poems when every blank-line-separated part is short."""
    text = strip_front_matter(text).strip()
    if not text:
        return []
    parts = [p.strip("\n") for p in _BLANK.split(text) if p.strip()]
    if len(parts) > 1 and all(p.count("\n") < POEM_LINES for p in parts) and _stanzaic(parts):
        return parts
    return [text]


def _stanzaic(parts: list[str]) -> bool:
    """Poems, not paragraphs: most parts have several short lines."""
    multi = sum(1 for p in parts if p.count("\n") >= 1 and max(map(len, p.split("\n"))) < 100)
    return multi >= 0.6 * len(parts)


def load(paths: list[Path], holdout: float) -> Corpus:
    """Read ``paths`` into pieces and hold out the last ``holdout`` share (0-0.9) of them."""
    if not 0 <= holdout < 1:
        raise QuillpenError(f"--holdout takes a share from 0 to 0.9, not {holdout}")
    files = text_files(paths)
    if not files:
        shown = ", ".join(str(p) for p in paths)
        raise QuillpenError(f"no .txt or .md files in {shown}")
    pieces: list[str] = []
    digest = hashlib.sha256()
    size = 0
    for path in files:
        for piece in pieces_of(read_text(path)):
            pieces.append(piece)
            data = piece.encode("utf-8")
            digest.update(data + b"\0")
            size += len(data)
    if not pieces:
        raise QuillpenError(f"the corpus is empty: {len(files)} file(s) with no text in them")
    n_held = math.ceil(len(pieces) * holdout) if holdout else 0
    if n_held >= len(pieces):
        raise QuillpenError(
            f"a hold-out of {holdout:.0%} leaves nothing to train on: the corpus has "
            f"{len(pieces)} piece(s); add texts or lower --holdout"
        )
    cut = len(pieces) - n_held
    return Corpus(pieces[:cut], pieces[cut:], len(files), size, digest.hexdigest())
