"""The Chinese form checks: 五言/七言 绝句 and 律诗 (近体诗), and 古绝.

A line is a verse (句): "床前明月光，疑是地上霜。" holds two. Lines 2, 4 (6, 8) must rhyme in
one group of the system in use (`chinese_rules`: 平水韵 by default, or 中华新韵); the first
line may too. The 近体 forms also need their 平仄: 二四六分明 (the 2nd, 4th, 6th characters
alternate), 粘对 (lines of a couplet oppose, couplets join), no 孤平 and no 三平尾. A
character the system has as both 平 and 仄 never breaks a rule. 古绝 (`gujue5`, `gujue7`)
check the count and the rhyme only. For 律诗 a 对仗 hint pairs the middle couplets' characters.
"""

from __future__ import annotations

from collections import Counter

from tui.poetry import chinese, chinese_rules
from tui.poetry.chinese_rules import PINGSHUI, Tone
from tui.poetry.form_defs import Form, LineReport, PoemReport, count_problem, detect_language

PING, ZE = chinese.PING, chinese.ZE


def check_chinese(text: str, f: Form, rules: str | None = None) -> PoemReport:
    """Check `text` against a Chinese form under `rules` (None: the form's default)."""
    rules = rules or f.rules or PINGSHUI
    system = chinese_rules.SYSTEMS[rules]
    lines = chinese.verses(text)
    problems: list[str] = []
    if detect_language(text) != "zh":
        problems.append(f"this text is not Chinese: a {f.title} expects Chinese")
    if (problem := count_problem(f, len(lines), "lines (句)")) is not None:
        problems.append(problem)
    tones = [list(chinese_rules.tones(line, rules)) for line in lines]
    rhyming = list(range(1, min(len(lines), f.lines), 2))  # lines 2, 4, 6, 8
    anchor = _rhyme_group(tones, rhyming, rules)
    strict = f.name.startswith(("jueju", "lushi"))
    reports = []
    for i, line in enumerate(lines):
        why: list[str] = []
        notes: list[str] = []
        if i >= f.lines:
            why.append(f"one line too many: a {f.title} has {f.lines}")
        if len(line) != f.chars:
            why.append(f"{len(line)} characters; a {f.title} line has {f.chars}")
        mine = tones[i]
        if mine and i < f.lines and (i in rhyming or i == 0):
            _rhyme(i, mine, anchor, rules, rhyming, why, notes)
        if strict and len(mine) == f.chars:
            why += _meter_faults(i, tones)
        if f.name.startswith("lushi") and i in (3, 5) and len(tones[i - 1]) == len(mine):
            notes.append(_duizhang_hint(tones[i - 1], mine))
        ru = [t.char for t in mine if t.ru]
        if ru and rules == PINGSHUI:
            notes.append("入声 (仄): " + "".join(ru))
        pattern = "".join(t.cls for t in mine)
        estimated = chinese.UNKNOWN in pattern
        if estimated:
            notes.append("? marks a character whose tone is not known")
        reports.append(
            LineReport(
                number=i + 1,
                text=line,
                syllables=len(line),
                stress=pattern,
                rhyme=mine[-1].groups[0] if mine and mine[-1].groups else None,
                ok=not why,
                why="; ".join(why),
                estimated=estimated,
                notes=tuple(notes),
                scansion=pattern,
                low=len(line),
                high=len(line),
            )
        )
    return PoemReport(f, "zh", tuple(reports), tuple(problems), system)


def _rhyme(
    i: int,
    mine: list[Tone],
    anchor: str,
    rules: str,
    rhyming: list[int],
    why: list[str],
    notes: list[str],
) -> None:
    last = mine[-1]
    groups = chinese_rules.all_groups(last.char, rules) or last.groups
    fits = any(chinese_rules.same_group(g, anchor, rules) for g in groups)
    if i == 0:
        if fits:
            notes.append("首句入韵 (the first line rhymes too)")
        return
    if not groups:
        notes.append(f"cannot tell the rhyme of {last.char}")
    elif not fits:
        why.append(
            f"{last.char} ({last.pinyin}, {'/'.join(groups)}) does not rhyme: "
            f"the poem rhymes in {anchor}"
        )
    elif anchor not in last.groups:
        if rules == PINGSHUI:
            notes.append(f"{last.char} rhymes in {anchor} (its other reading)")
        else:
            reading = next(
                (r for r in chinese.readings(last.char) if chinese.same_group(r.group, anchor)),
                None,
            )
            if reading is not None and reading.group == anchor:
                notes.append(f"{last.char} read as {reading.pinyin} to rhyme")
            else:
                notes.append(f"{last.char} ({last.groups[0]}) rhymes with {anchor} (通押)")
    if fits and not chinese_rules.is_ping_group(anchor) and i in rhyming[:1]:
        notes.append(f"rhymes on a 仄 tone ({anchor}); 近体诗 rhyme on 平 (a 古绝 may not)")


def _rhyme_group(tones: list[list[Tone]], rhyming: list[int], rules: str) -> str:
    """The group the poem rhymes in: the one most rhyme positions can be read in.

    Ties go to a 平 group, then to a group the first line also rhymes in, then to line 2's.
    """
    votes: Counter[str] = Counter()
    for i in rhyming:
        if tones[i]:
            votes.update(chinese_rules.all_groups(tones[i][-1].char, rules) or tones[i][-1].groups)
    if not votes:
        return ""
    first = set(chinese_rules.all_groups(tones[0][-1].char, rules)) if tones[0] else set()
    second = tones[1][-1].groups if len(tones) > 1 and tones[1] else ()
    return max(
        votes,
        key=lambda g: (votes[g], chinese_rules.is_ping_group(g), g in first, g in second),
    )


def _definite(t: Tone) -> str | None:
    """The character's class when a rule may judge it (known, and not both 平 and 仄)."""
    return None if t.either or t.cls not in (PING, ZE) else t.cls


def _meter_faults(i: int, tones: list[list[Tone]]) -> list[str]:
    """二四六分明, 粘对, 孤平 and 三平尾 for line `i` of a 近体 poem."""
    mine = tones[i]
    n = len(mine)
    out = []
    cls = [_definite(t) for t in mine]
    pattern = "".join(t.cls for t in mine)
    accepted_twist = pattern[-5:] == "平平仄平仄"  # 特拗: 平平平仄仄 with 3 and 4 swapped
    for a, b in ((1, 3), (3, 5)):
        if b < n and cls[a] is not None and cls[a] == cls[b] and not accepted_twist:
            out.append(
                f"characters {a + 1} ({mine[a].char}) and {b + 1} ({mine[b].char}) are both "
                f"{cls[a]} (二四六分明)"
            )
    if i % 2 == 1 and len(tones[i - 1]) == n:
        other = _definite(tones[i - 1][1])
        if other is not None and cls[1] is not None and other == cls[1]:
            out.append(f"失对: {mine[1].char} and {tones[i - 1][1].char} are both {cls[1]}")
    elif i % 2 == 0 and i > 0 and len(tones[i - 1]) == n:
        other = _definite(tones[i - 1][1])
        if other is not None and cls[1] is not None and other != cls[1]:
            out.append(
                f"失粘: {mine[1].char} ({cls[1]}) should match {tones[i - 1][1].char} ({other}) "
                f"of line {i}"
            )
    if n >= 3 and all(c == PING for c in cls[-3:]):
        out.append("三平尾: the last three characters are all 平")
    if n >= 5 and cls[-1] == PING and cls[-2] == ZE and cls[-3] == ZE:
        maybe_ping = [t.char for t in mine[:-1] if t.cls == PING or t.either]
        if len(maybe_ping) <= 1:
            alone = "".join(maybe_ping) or "none"
            out.append(f"孤平: apart from the rhyme, only one 平 ({alone})")
    return out


def _duizhang_hint(first: list[Tone], second: list[Tone]) -> str:
    pairs = " ".join(f"{a.char}/{b.char}" for a, b in zip(first, second, strict=True))
    same = [a.char for a, b in zip(first, second, strict=True) if a.char == b.char]
    warn = f"; the same character in both: {''.join(same)}" if same else ""
    return f"对仗 (a hint, not checked): the couplet should pair {pairs}{warn}"
