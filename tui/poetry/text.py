"""Plain-text renderings of poem reports, for `quillpen poem` and anything else that prints,
and `word_at`, the word a view looks up at the cursor."""

from __future__ import annotations

import unicodedata
from typing import Any

from tui.poetry.chinese import is_cjk, verses
from tui.poetry.chinese_rules import SYSTEMS
from tui.poetry.english_forms import SYSTEM as ENGLISH_SYSTEM
from tui.poetry.forms import FORMS, PoemReport, detect_language, poem_lines
from tui.poetry.syllables import LineInfo, stress_marks

ANY = "any"
_BY_LINES = {("en", 3): "haiku", ("en", 5): "limerick", ("en", 4): "quatrain"}
_BY_LINES |= {
    ("en", 14): "sonnet",
    ("en", 19): "villanelle",
    ("zh", 4): "jueju",
    ("zh", 8): "lushi",
}


def guess_form(text: str) -> str:
    """The form the poem most likely means, from its language, line count and line length."""
    language = detect_language(text)
    lines = poem_lines(text)
    if language == "zh":
        lines = verses(text) or lines
    name = _BY_LINES.get((language, len(lines)), ANY)
    if language == "zh" and name != ANY:
        counts = {len(line) for line in lines}
        name = f"{name}{7 if counts == {7} else 5}"
    return name if name in FORMS or name == ANY else ANY


SYSTEM_NAMES = {"cmudict": ENGLISH_SYSTEM, **SYSTEMS}


def word_at(line: str, column: int) -> tuple[int, int]:
    """The word at ``column`` (or just before it): a run of letters, or one CJK character.

    For Chinese the character under the cursor counts first (the cursor on 光 means 光), the
    one before it at the end of a line (just typed).
    """
    for at in (column, column - 1):
        if 0 <= at < len(line) and is_cjk(line[at]):
            return at, at + 1
        if 0 <= at < len(line) and (line[at].isalpha() or line[at] == "'"):
            break
    start = column
    while start > 0 and (line[start - 1].isalpha() or line[start - 1] == "'"):
        start -= 1
    end = column
    while end < len(line) and (line[end].isalpha() or line[end] == "'"):
        end += 1
    return start, end


def _width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _ljust(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _stress(stress: str, language: str) -> str:
    return stress if language == "zh" else stress_marks(stress)


def _count(n: int, estimated: bool) -> str:
    return f"~{n}" if estimated else str(n)


def line_notes(info: LineInfo) -> list[str]:
    """The remarks every view shows under a line: its meter and deviations, its readings."""
    out = []
    if info.meter:
        devs = "; ".join(info.deviations)
        out.append(f"{info.meter}{': ' + devs if devs else ''}")
    return out + list(info.notes)


def report_table(report: PoemReport) -> str:
    """A readable table: one row per line, the reasons under a flagged line, a verdict."""
    f = report.form
    zh = report.language == "zh"
    head = ("#", "字" if zh else "syl", "平仄" if zh else "scansion", "rhyme", "ok", "line")
    rows = [
        (
            str(line.number),
            _count(line.syllables, line.estimated and not zh),
            line.stress if zh else (line.scansion or stress_marks(line.stress)),
            line.rhyme or "",
            "ok" if line.ok else "NO",
            line.text,
        )
        for line in report.lines
    ]
    widths = [max([_width(head[c])] + [_width(r[c]) for r in rows]) for c in range(5)]

    def fmt(cells: tuple[str, ...]) -> str:
        left = "  ".join(
            _ljust(cell, w) if c else cell.rjust(w)
            for c, (cell, w) in enumerate(zip(cells[:5], widths, strict=True))
        )
        return f"{left}  {cells[5]}".rstrip()

    out = [f"{f.name} ({f.title}): {f.description}" if zh else f"{f.name}: {f.description}"]
    if report.system:
        out.append(f"system: {report.system}")
    out += [f"· {note}" for note in report.notes]
    out.append(fmt(head))
    indent = " " * (widths[0] + 2)
    for line, row in zip(report.lines, rows, strict=True):
        out.append(fmt(row))
        if line.why:
            out.append(f"{indent}✗ {line.why}")
        if line.meter:
            devs = "; ".join(line.deviations)
            out.append(f"{indent}· {line.meter}{': ' + devs if devs else ''}")
        out += [f"{indent}· {note}" for note in line.notes]
    out += [f"✗ {problem}" for problem in report.problems]
    if report.ok:
        out.append(f"fits the form: {f.name}")
    else:
        bad = [str(line.number) for line in report.flagged]
        where = f" (line{'s' if len(bad) > 1 else ''} {', '.join(bad)})" if bad else ""
        out.append(f"does not fit the form: {f.name}{where}")
    return "\n".join(out)


def syllables_table(infos: list[LineInfo | None]) -> str:
    """One row per input line: count (~ when estimated), stress, the line. None: blank line."""
    systems = {info.system for info in infos if info is not None}
    out = [f"system: {', '.join(sorted(SYSTEM_NAMES.get(s, s) for s in systems))}"]
    for info in infos:
        if info is None:
            out.append("")
            continue
        count = _count(info.syllables, info.estimated)
        marks = info.scansion or _stress(info.stress, info.language)
        out.append(f"{count:>4}  {_ljust(marks, 16)}  {info.text}".rstrip())
        out += [f"{'':>4}  · {note}" for note in line_notes(info)]
    return "\n".join(out)


def with_blanks(source: str, infos: list[LineInfo]) -> list[LineInfo | None]:
    """`infos` (one per poem line) put back among the source's lines: None for the others."""
    out: list[LineInfo | None] = []
    pending = iter(infos)
    for line in source.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            out.append(next(pending, None))
        else:
            out.append(None)
    return out


def syllables_json(infos: list[LineInfo | None]) -> list[dict[str, Any]]:
    return [
        {
            "line": n,
            "text": info.text,
            "syllables": info.syllables,
            "range": [info.low, info.high],
            "stress": info.stress,
            "scansion": info.scansion,
            "meter": info.meter,
            "deviations": list(info.deviations),
            "estimated": info.estimated,
            "unknown": list(info.unknown),
            "notes": list(info.notes),
            "language": info.language,
            "system": info.system,
        }
        for n, info in enumerate(infos, 1)
        if info is not None
    ]
