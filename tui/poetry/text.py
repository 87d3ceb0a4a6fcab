"""Plain-text renderings of poem reports, for `quillpen poem` and anything else that prints."""

from __future__ import annotations

import unicodedata
from typing import Any

from tui.poetry.forms import PoemReport
from tui.poetry.syllables import LineInfo, stress_marks


def _width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _ljust(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _stress(stress: str, language: str) -> str:
    return stress if language == "zh" else stress_marks(stress)


def _count(n: int, estimated: bool) -> str:
    return f"~{n}" if estimated else str(n)


def report_table(report: PoemReport) -> str:
    """A readable table: one row per line, the reasons under a flagged line, a verdict."""
    f = report.form
    zh = report.language == "zh"
    head = ("#", "字" if zh else "syl", "平仄" if zh else "stress", "rhyme", "ok", "line")
    rows = [
        (
            str(line.number),
            _count(line.syllables, line.estimated and not zh),
            _stress(line.stress, report.language),
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
    out.append(fmt(head))
    indent = " " * (widths[0] + 2)
    for line, row in zip(report.lines, rows, strict=True):
        out.append(fmt(row))
        if line.why:
            out.append(f"{indent}✗ {line.why}")
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
    out = []
    for info in infos:
        if info is None:
            out.append("")
            continue
        count = _count(info.syllables, info.estimated)
        stress = _ljust(_stress(info.stress, info.language), 16)
        out.append(f"{count:>4}  {stress}  {info.text}".rstrip())
    return "\n".join(out)


def syllables_json(infos: list[LineInfo | None]) -> list[dict[str, Any]]:
    return [
        {
            "line": n,
            "text": info.text,
            "syllables": info.syllables,
            "stress": info.stress,
            "estimated": info.estimated,
            "unknown": list(info.unknown),
            "language": info.language,
        }
        for n, info in enumerate(infos, 1)
        if info is not None
    ]
