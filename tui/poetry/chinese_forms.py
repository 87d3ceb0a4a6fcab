"""The Chinese form checks: 五言/七言 绝句 and 律诗.

A line is a verse (句): "床前明月光，疑是地上霜。" holds two. Lines 2, 4 (6, 8) must rhyme in one
中华新韵 group, the first line may too; 多音字 count in whichever reading rhymes. Tones (平仄)
that do not alternate are noted, not faulted.
"""

from __future__ import annotations

from collections import Counter

from tui.poetry import chinese
from tui.poetry.form_defs import Form, LineReport, PoemReport, count_problem, detect_language


def check_chinese(text: str, f: Form) -> PoemReport:
    """Check `text` against a Chinese form: characters per line, the rhyme, 平仄 notes."""
    lines = chinese.verses(text)
    problems: list[str] = []
    if detect_language(text) != "zh":
        problems.append("this text is not Chinese: the English forms are haiku, limerick, …")
    if (problem := count_problem(f, len(lines), "lines (句)")) is not None:
        problems.append(problem)
    sylls = [list(chinese.syllables(line)) for line in lines]
    rhyming = list(range(1, min(len(lines), f.lines), 2))  # lines 2, 4, 6, 8
    anchor = _rhyme_group(sylls, rhyming)
    reports = []
    for i, line in enumerate(lines):
        why: list[str] = []
        notes: list[str] = []
        if i >= f.lines:
            why.append(f"one line too many: a {f.title} has {f.lines}")
        if len(line) != f.chars:
            why.append(f"{len(line)} characters; a {f.title} line has {f.chars}")
        last = sylls[i][-1] if sylls[i] else None
        if last is not None and i < f.lines and (i in rhyming or i == 0):
            fitting = _reading_in(last, anchor)
            if i == 0:
                if fitting is not None:
                    notes.append("首句入韵 (the first line rhymes too)")
            elif not last.group:
                notes.append(f"cannot tell the rhyme of {last.char}")
            elif fitting is None:
                why.append(
                    f"{last.char} ({last.pinyin}, {last.group}) does not rhyme: "
                    f"the poem rhymes in {anchor}"
                )
            if fitting is not None and fitting != last:
                notes.append(f"{last.char} read as {fitting.pinyin} to rhyme")
                sylls[i][-1] = last = fitting
            if i in rhyming and last.group and last.group != anchor and fitting is not None:
                notes.append(f"{last.char} ({last.group}) rhymes with {anchor} (通押)")
            if i in rhyming and last.tone_class == chinese.ZE:
                notes.append(f"rhymes on a 仄 tone ({last.char} {last.pinyin}); 近体诗 rhyme on 平")
        pattern = "".join(s.tone_class for s in sylls[i])
        notes += _alternation_notes(pattern)
        estimated = chinese.UNKNOWN in pattern
        if estimated:
            notes.append("? marks a character whose tone pypinyin does not know")
        reports.append(
            LineReport(
                number=i + 1,
                text=line,
                syllables=len(line),
                stress=pattern,
                rhyme=(last.group or None) if last else None,
                ok=not why,
                why="; ".join(why),
                estimated=estimated,
                notes=tuple(notes),
            )
        )
    return PoemReport(f, "zh", tuple(reports), tuple(problems))


def _reading_in(s: chinese.Syllable, group: str) -> chinese.Syllable | None:
    """The reading of `s`'s character that rhymes in `group`: its own first, else another."""
    if chinese.same_group(s.group, group):
        return s
    others = (r for r in chinese.readings(s.char) if chinese.same_group(r.group, group))
    return next(others, None)


def _rhyme_group(sylls: list[list[chinese.Syllable]], rhyming: list[int]) -> str:
    """The group the poem rhymes in: the one most rhyme positions can be read in.

    Each position counts once per group any reading of its character is in (多音字 such as
    还 hai2/huan2); ties go to a group the first line also rhymes in, then to the
    context reading of line 2.
    """
    votes: Counter[str] = Counter()
    for i in rhyming:
        if sylls[i]:
            last = sylls[i][-1]
            groups = {last.group} | {r.group for r in chinese.readings(last.char)}
            votes.update(g for g in groups if g)
    if not votes:
        return ""
    first = sylls[0][-1] if sylls and sylls[0] else None
    first_groups = (
        {first.group} | {r.group for r in chinese.readings(first.char)} if first else set()
    )
    second = sylls[1][-1].group if len(sylls) > 1 and sylls[1] else ""
    return max(votes, key=lambda g: (votes[g], g in first_groups, g == second))


def _alternation_notes(pattern: str) -> list[str]:
    """二四六分明: the 2nd, 4th (and 6th) characters should alternate 平 and 仄.

    A note, not a fault: 入声 characters read 平 today, and 古绝 need not follow it.
    """
    out = []
    for a, b in ((1, 3), (3, 5)):
        if b < len(pattern) and pattern[a] == pattern[b] and pattern[a] != chinese.UNKNOWN:
            out.append(f"characters {a + 1} and {b + 1} are both {pattern[a]} (二四六分明)")
    return out
