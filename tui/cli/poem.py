"""`quillpen poem check|rhymes|syllables`: the poem tools from the shell."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tui.cli.common import _encoding, _err, not_utf8_hint

if TYPE_CHECKING:
    pass


def poem_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    common: Callable[[argparse.ArgumentParser], None],
    count: Callable[[str], int],
) -> None:
    from tui.poetry import FORMS

    poem = sub.add_parser("poem", help="syllables, stress, rhymes and form checks for poems")
    psub = poem.add_subparsers(dest="action", required=True)
    check = psub.add_parser("check", help="check a poem against a form (exit 0 only if it fits)")
    check.add_argument("file", help="the poem, or - for stdin")
    check.add_argument("--form", required=True, choices=tuple(FORMS))
    check.add_argument("--json", action="store_true", help="one JSON object, a record per line")
    check.add_argument("--loose", action="store_true", help="accept assonance as rhyme (cat / bad)")
    check.add_argument(
        "--rules",
        choices=("pingshui", "xinyun"),
        help="Chinese rules: 平水韵 (pingshui, the default for 绝句/律诗) or 中华新韵 (xinyun)",
    )
    rhymes = psub.add_parser("rhymes", help="rhymes for WORD, one a line, best first")
    rhymes.add_argument("word", help="an English word, or a Chinese character")
    rhymes.add_argument("--limit", type=count, default=50, help="at most this many (0: all)")
    rhymes.add_argument(
        "--rare", action="store_true", help="names and the dictionary's oddities too"
    )
    rhymes.add_argument(
        "--rules",
        choices=("pingshui", "xinyun"),
        default="pingshui",
        help="for a Chinese character: 平水韵 (pingshui, the default) or 中华新韵 (xinyun)",
    )
    rhymes.add_argument(
        "--kinds", action="store_true", help="each rhyme's kind after it (perfect, slant…)"
    )
    syllables = psub.add_parser("syllables", help="syllables and stress of each line")
    syllables.add_argument("file", help="the text, or - for stdin")
    syllables.add_argument("--json", action="store_true", help="a JSON list, a record per line")
    syllables.add_argument(
        "--rules", choices=("pingshui", "xinyun"), help="Chinese 平仄: pingshui (default), xinyun"
    )
    syllables.add_argument(
        "--form",
        choices=tuple(FORMS),
        help="read the lines in this form's meter and counts (default: guessed, as F7 does)",
    )
    for parser in (check, syllables):
        parser.add_argument(
            "--encoding", type=_encoding, help="the file's encoding when not UTF-8 (e.g. latin-1)"
        )
    for parser in (check, rhymes, syllables):
        common(parser)


def cmd_poem(args: argparse.Namespace) -> int:
    """`poem check` exits 0 when the poem fits the form, 1 when not, 2 when it can't read it."""

    from tui import poetry
    from tui.poetry import text as poem_text

    if args.action == "rhymes":
        found = poetry.rhymes(args.word, args.limit, args.rare, args.rules)
        if not found:
            _err(f"no rhymes found for {args.word!r}")
            return 1
        if args.kinds and not poetry.chinese.is_cjk(args.word.strip()[:1]):
            kinds = {r.word: r.kind for r in poetry.find_rhymes(args.word, args.limit, args.rare)}
            found = [f"{w}\t{kinds.get(w, '')}" for w in found]
        print("\n".join(found))
        return 0
    encoding = args.encoding or "utf-8"
    try:
        data = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
        source = data.decode(encoding)
    except OSError as exc:
        _err(f"cannot read {args.file}: {exc.strerror or exc}")
        return 2
    except UnicodeDecodeError as exc:
        name = "standard input" if args.file == "-" else args.file
        _err(not_utf8_hint(name, exc) if not args.encoding else f"{name} is not {encoding}")
        return 2
    if args.action == "syllables":
        form = args.form or poem_text.guess_form(source)
        infos = poem_text.with_blanks(source, poetry.poem_infos(source, form, args.rules))
        if not args.json and form != poem_text.ANY:
            n = len(poetry.forms.poem_lines(source))
            how = "" if args.form else f" (guessed from its {n} lines; --form to choose)"
            print(f"read as: {form}{how}")
        if args.json:
            print(json.dumps(poem_text.syllables_json(infos), ensure_ascii=False, indent=2))
        else:
            print(poem_text.syllables_table(infos))
        return 0
    form = poetry.FORMS[args.form]
    if form.language != poetry.detect_language(source):
        wanted, given = ("English", "Chinese") if form.language == "en" else ("Chinese", "English")
        others = ", ".join(f.name for f in poetry.forms_for(poetry.detect_language(source)))
        _err(f"the {form.name} form expects {wanted}, and this text is {given} (try {others})")
        return 1
    report = poetry.check(source, args.form, loose=args.loose, rules=args.rules)
    if args.json:
        print(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
    else:
        print(poem_text.report_table(report))
    return 0 if report.ok else 1
