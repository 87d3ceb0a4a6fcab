"""`quillpen export FILE`: the document with the model's text marked, and its counts."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from models.errors import QuillpenError
from tui.cli.common import _encoding, _err


def export_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    from tui.export import MARKS

    exp = sub.add_parser(
        "export", help="a document as Markdown or text, the model's words marked, with counts"
    )
    exp.add_argument("file", type=Path, help="the document (saved by quillpen)")
    exp.add_argument("--out", type=Path, help="write here (default: standard output)")
    exp.add_argument(
        "--mark",
        choices=tuple(MARKS),
        default="none",
        help="how to set off what the model wrote: *…* (asterisks), [[…]] (brackets), or none",
    )
    exp.add_argument(
        "--encoding", type=_encoding, help="the file's encoding when not UTF-8 (e.g. latin-1)"
    )
    return exp


def cmd_export(args: argparse.Namespace) -> int:
    """Counts go to standard error, so the exported text can be piped."""
    from tui.document import Document, NotUtf8
    from tui.export import export, summary
    from tui.store.marks import load_marks

    for path in (args.file, args.out):
        if path is not None and path.exists() and not path.is_file():
            raise QuillpenError(f"{path}: not a regular file (a folder, FIFO or device)")
    try:
        doc, text = Document.open(args.file, encoding=args.encoding)
    except NotUtf8:
        raise QuillpenError(
            f"{args.file} is not UTF-8; give its encoding, e.g. --encoding latin-1"
        ) from None
    except UnicodeDecodeError as exc:
        raise QuillpenError(f"{args.file} is not {args.encoding} (byte {exc.start})") from None
    if doc.disk is None:
        raise QuillpenError(f"{args.file}: no such file")
    ranges = load_marks(doc.key, text)
    if args.mark != "none" and not ranges:
        _err("no generated text is recorded for this file (saved elsewhere, or changed since)")
    body, stats = export(text, ranges, mark=args.mark)
    if args.out is None:
        sys.stdout.write(body)
    else:
        try:
            args.out.write_text(body, encoding="utf-8")
        except OSError as exc:
            raise QuillpenError(f"cannot write {args.out}: {exc.strerror or exc}") from None
    print(summary(stats), file=sys.stderr)
    return 0
