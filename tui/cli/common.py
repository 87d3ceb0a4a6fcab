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
