"""What the command line's parts share: argument checks, one-line errors, settings lookups."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from models.redaction import redact
from models.text import printable


def _count(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise argparse.ArgumentTypeError("takes a whole number, 0 or more")
    return number


def _err(msg: str) -> None:
    """One line on stderr: terminal-safe and without secrets, whatever ``msg`` quotes."""
    print(f"quillpen: {redact(printable(msg))}", file=sys.stderr)


def _repack_setting(args: argparse.Namespace) -> str:
    """--cpu-repack, else config.toml's cpu_repack, else auto."""
    if args.cpu_repack:
        return str(args.cpu_repack)
    from tui import config

    return config.load().cpu_repack


def _remote(args: argparse.Namespace) -> Any:
    """The remote engine ``--engine`` (or the config) names, or None; a bad name exits 2."""
    from tui import config

    try:
        return config.remote_target(getattr(args, "engine", None), config.load())
    except ValueError as exc:
        print(f"quillpen: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _encoding(value: str) -> str:
    """An encoding Python knows (``latin-1``, ``cp1252``, ``utf-8``…)."""
    import codecs

    try:
        return codecs.lookup(value).name
    except LookupError:
        raise argparse.ArgumentTypeError(f"unknown encoding {value!r}") from None


def not_utf8_hint(name: str, exc: UnicodeDecodeError) -> str:
    """One line for a file that is not UTF-8, saying what to do."""
    return f"{name} is not UTF-8 (byte {exc.start}); give its encoding, e.g. --encoding latin-1"


def near_miss(word: str, names: tuple[str, ...]) -> str | None:
    """The name ``word`` is a typo of (an edit or two away, a swap counting one), or None."""
    if not word.isalpha():
        return None
    limit = 1 if len(word) <= 5 else 2
    best = min(names, key=lambda name: _distance(word.lower(), name))
    return best if 0 < _distance(word.lower(), best) <= limit else None


def _distance(a: str, b: str) -> int:
    """Edits from ``a`` to ``b``: insert, delete, replace, or swap two neighbours."""
    rows = [list(range(len(b) + 1))]
    for i, ca in enumerate(a, 1):
        row = [i]
        for j, cb in enumerate(b, 1):
            cost = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, rows[-2][j - 2] + 1)
            row.append(cost)
        rows.append(row)
    return rows[-1][-1]
