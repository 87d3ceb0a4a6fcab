"""Find and replace over a document's lines, without the UI: patterns, hits, replacements.

A hit is ``(row, start, end)`` in characters (not bytes or cells: CJK is one character a
glyph), so it is a TextArea location as it stands. A pattern matches within one line (a
paragraph, in prose): that keeps a search over a 1 MB draft a loop of C-speed ``finditer``
calls with no offset arithmetic.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, NamedTuple

Mode = Literal["find", "replace", "goto"]
"""The find bar's three modes."""

Hit = tuple[int, int, int]
"""(row, start column, end column) of one match."""
Range = tuple[int, int]
"""(start, end) character offsets into the whole text."""


_SPACED_WORD = r"[^\W\u2e80-\u9fff\uf900-\ufaff\uff66-\uff9f]"
"""A letter of a script written with spaces between words. Chinese and Japanese text has no
such spaces: "whole words" never looks at a CJK neighbour (明月 is found in 床前明月光)."""


_SPACED_LETTER = re.compile(_SPACED_WORD)


class FindOptions(NamedTuple):
    """What the find bar's three switches say."""

    case: bool = False
    word: bool = False
    regex: bool = False


def compile_pattern(query: str, options: FindOptions) -> re.Pattern[str] | str:
    """The pattern for ``query``, or a short reason it is not one (a bad regular expression)."""
    source = query if options.regex else re.escape(query)
    if options.word:
        source = rf"(?<!{_SPACED_WORD})(?:{source})(?!{_SPACED_WORD})"
    flags = 0 if options.case else re.IGNORECASE
    try:
        pattern = re.compile(source, flags)
    except re.error as exc:
        where = f" (at {exc.pos + 1})" if exc.pos is not None else ""
        return f"Bad pattern: {exc.msg.split(',')[0]}{where}"
    except (RecursionError, OverflowError):
        return "Bad pattern: too complex"
    if pattern.search("") is not None:
        return "The pattern matches empty text: give it something to find"
    return pattern


def find_hits(lines: Sequence[str], pattern: re.Pattern[str]) -> list[Hit]:
    """Every match of ``pattern`` in ``lines``, in document order."""
    hits: list[Hit] = []
    add = hits.append
    search = pattern.search
    for row, line in enumerate(lines):
        if search(line) is None:  # (most lines of a long draft: one C call, no iterator)
            continue
        for match in pattern.finditer(line):
            add((row, match.start(), match.end()))
    return hits


def find_text(lines: Sequence[str], query: str, options: FindOptions) -> list[Hit] | None:
    """The hits of a plain (not regex) ``query``, by ``str.find`` on the joined text: over a
    1 MB draft ≈ 5× faster than a case-insensitive regex. None where lower-casing changes a
    length (a few letters, such as İ): the regex then finds them."""
    text = "\n".join(lines)
    hay, needle = (text, query) if options.case else (text.lower(), query.lower())
    if not needle or "\n" in needle or len(hay) != len(text) or len(needle) != len(query):
        return None
    letter = _SPACED_LETTER.match
    hits: list[Hit] = []
    row, row_start, next_start = 0, 0, len(lines[0]) + 1 if lines else 0
    at = hay.find(needle)
    while at >= 0:
        end = at + len(needle)
        if not options.word or not (
            (at and letter(text, at - 1)) or (end < len(text) and letter(text, end))
        ):
            while at >= next_start:
                row += 1
                row_start, next_start = next_start, next_start + len(lines[row]) + 1
            hits.append((row, at - row_start, end - row_start))
        at = hay.find(needle, end)
    return hits


def replacement(pattern: re.Pattern[str], line: str, hit: Hit, template: str) -> str:
    """The text that replaces ``hit``: ``template`` with a regex's groups (``\\1``) filled in."""
    match = pattern.match(line, hit[1])
    if match is None or match.end() != hit[2] or pattern.flags & re.VERBOSE:
        return template
    try:
        return match.expand(template)
    except (re.error, IndexError):
        return template


def replace_in_lines(
    lines: Sequence[str],
    pattern: re.Pattern[str],
    hits: Sequence[Hit],
    template: str,
    expand: bool,
) -> tuple[list[str], list[tuple[int, int, int]]]:
    """``lines`` with every hit replaced, and each replacement as (row, start, new end)."""
    out = list(lines)
    done: list[tuple[int, int, int]] = []
    by_row: dict[int, list[Hit]] = {}
    for hit in hits:
        by_row.setdefault(hit[0], []).append(hit)
    for row, row_hits in by_row.items():
        line = lines[row]
        parts: list[str] = []
        last = shift = 0
        for _, start, end in row_hits:
            new = replacement(pattern, line, (row, start, end), template) if expand else template
            parts += [line[last:start], new]
            done.append((row, start + shift, start + shift + len(new)))
            shift += len(new) - (end - start)
            last = end
        parts.append(line[last:])
        out[row] = "".join(parts)
    done.sort()
    return out, done


def remap_ranges(ranges: Sequence[Range], edits: Sequence[tuple[int, int, int]]) -> list[Range]:
    """Generated-text ranges after ``edits`` (old start, old end, new length; in order, not
    overlapping): the replaced spans become the writer's, the rest stays generated."""
    out: list[Range] = []
    for start, end in ranges:
        pieces = [(start, end)]
        for e_start, e_end, _ in edits:  # cut each replaced span out (old offsets)
            cut: list[Range] = []
            for a, b in pieces:
                if e_end <= a or e_start >= b:
                    cut.append((a, b))
                else:
                    cut += [(a, min(b, e_start)), (max(a, e_end), b)]
            pieces = [(a, b) for a, b in cut if b > a]
        out += pieces
    return sorted((_moved(a, edits), _moved(b, edits)) for a, b in out)


def _moved(offset: int, edits: Sequence[tuple[int, int, int]]) -> int:
    """Where an offset outside every replaced span lands after the replacements."""
    delta = 0
    for e_start, e_end, new_length in edits:
        if e_end <= offset:
            delta += new_length - (e_end - e_start)
        else:
            break
    return offset + delta


def parse_line_target(text: str, line_count: int) -> tuple[int, int] | str:
    """``"120"`` or ``"120:7"`` (1-based line, column) as a 0-based location clamped to the
    document, or a short reason."""
    head, _, tail = text.strip().partition(":")
    try:
        line = int(head)
        column = int(tail) if tail.strip() else 1
    except ValueError:
        return "Go to line: type a line number (or LINE:COLUMN)"
    if line < 1 or column < 1:
        return "Go to line: lines and columns count from 1"
    return min(line, line_count) - 1, column - 1


_FILE_LINE = re.compile(r"(.+?):(\d+)(?::(\d+))?")


def split_file_line(path: Path) -> tuple[Path, tuple[int, int] | None]:
    """``story.md:120`` or ``story.md:120:7`` as the file and a 0-based (line, column); a path
    that exists as written (a name with a colon in it) is the file, whatever it looks like."""
    match = _FILE_LINE.fullmatch(str(path))
    if path.exists() or match is None or not Path(match[1]).is_file():
        return path, None
    return Path(match[1]), (max(int(match[2]), 1) - 1, max(int(match[3] or 1), 1) - 1)
