"""`quillpen spell FILE [--json]`: the unknown words of a text, with line, column and
suggestions (the dictionaries the app underlines with)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tui.cli.common import _err
from tui.spelling import LANGUAGES


def spell_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    common: Callable[[argparse.ArgumentParser], None],
) -> None:
    spell = sub.add_parser(
        "spell", help="list the unknown words of a text (exit 1 if there are any)"
    )
    spell.add_argument("file", help="the text, or - for stdin")
    spell.add_argument(
        "--json", action="store_true", help="one JSON list: {line, column, word, suggestions}"
    )
    spell.add_argument(
        "--language",
        help=f"a dictionary ({', '.join(LANGUAGES)}) or a JSON word-frequency file "
        "(default: spelling_language in config.toml, else en)",
    )
    common(spell)


def cmd_spell(args: argparse.Namespace) -> int:
    """Exit 0: no unknown words; 1: some (listed); 2: the text or the dictionary is unreadable.
    Lines and columns count from 1; columns in characters."""
    from tui import config
    from tui.spelling.checker import Speller, SpellingUnavailable, find_unknown
    from tui.store import personal_words

    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        _err(f"cannot read {args.file}: {getattr(exc, 'strerror', None) or exc}")
        return 2
    language = args.language or config.load().spelling_language
    try:
        speller = Speller.load(language, personal_words.load())
    except SpellingUnavailable as exc:
        _err(str(exc))
        return 2
    found: list[dict[str, Any]] = [
        {"line": row + 1, "column": column + 1, "word": word, "suggestions": suggestions}
        for row, column, word in find_unknown(speller, text.replace("\r\n", "\n"))
        for suggestions in [speller.suggestions(word, 5)]
    ]
    if args.json:
        print(json.dumps(found, ensure_ascii=False))
    else:
        name = "-" if args.file == "-" else args.file
        for item in found:
            hint = ", ".join(item["suggestions"]) or "no suggestions"
            print(f"{name}:{item['line']}:{item['column']}: {item['word']} ({hint})")
    return 1 if found else 0
