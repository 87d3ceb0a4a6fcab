"""平仄 and rhyme groups of Chinese verse under two systems, always named.

- **pingshui** (平水韵): the 106 rhymes of the classical rhyme books, with the 入声 (entering
  tone) counted 仄. The table is `data/pingshui.txt`, from charlesix59/chinese_word_rhyme
  (MIT, `data/LICENSE.pingshui`). A character listed under both a 平 and a 仄 rhyme (看, 过,
  胜, 望…) takes the class of its reading in context and is marked `either`.
- **xinyun** (中华新韵): the 14 groups of the 中华诗词学会's 2005 table, on modern Mandarin
  tones (pypinyin): tones 1, 2 平; 3, 4 仄.

Readings are citation tones read by phrase (see `chinese.syllables`): 不住 is bu4, 万重山's
重 chong2.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from tui.poetry import chinese

PINGSHUI = "pingshui"
XINYUN = "xinyun"
RULES = (PINGSHUI, XINYUN)
SYSTEMS = {
    PINGSHUI: "平水韵 (pingshui): 106 rhymes, 入声 counted 仄",
    XINYUN: "中华新韵 (xinyun): 14 groups, modern Mandarin tones",
}
_PING_TONES = ("上平", "下平")


@dataclass(frozen=True)
class Tone:
    """One character of a line under a system.

    `cls` is 平, 仄 or ? (unknown); `either` when the system has the character as both (the
    reading in context decides, and rules do not fault it); `ru` when it is an 入声 character
    (pingshui); `groups` the rhyme groups the character can rhyme in ("下平十二侵", "十唐").
    """

    char: str
    pinyin: str
    cls: str
    either: bool = False
    ru: bool = False
    groups: tuple[str, ...] = ()


@cache
def table() -> dict[str, tuple[tuple[str, str], ...]]:
    """平水韵: character → ((tone, rhyme), …): "簪" → (("下平", "十二侵"), ("下平", "十三覃"))."""
    text = (
        resources.files("tui.poetry").joinpath("data").joinpath("pingshui.txt").read_text("utf-8")
    )
    found: dict[str, list[tuple[str, str]]] = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        tone, rhyme, chars = line.split("\t")
        for ch in chars:
            found.setdefault(ch, []).append((tone, rhyme))
    return {ch: tuple(dict.fromkeys(v)) for ch, v in found.items()}


def _class(tone: str) -> str:
    return chinese.PING if tone in _PING_TONES else chinese.ZE


def _pingshui(s: chinese.Syllable) -> Tone:
    entries = table().get(s.char, ())
    if not entries:
        return Tone(s.char, s.pinyin, s.tone_class)
    classes = {_class(tone) for tone, _ in entries}
    cls = next(iter(classes)) if len(classes) == 1 else s.tone_class
    if cls not in classes:
        cls = next(iter(classes))
    mine = [(tone, rhyme) for tone, rhyme in entries if _class(tone) == cls]
    ru = cls == chinese.ZE and all(tone == "入" for tone, _ in mine)
    groups = tuple(f"{tone}{rhyme}" for tone, rhyme in mine)
    return Tone(s.char, s.pinyin, cls, len(classes) > 1, ru, groups)


def _xinyun(s: chinese.Syllable) -> Tone:
    return Tone(s.char, s.pinyin, s.tone_class, groups=(s.group,) if s.group else ())


@lru_cache(maxsize=4096)
def tones(line: str, rules: str = PINGSHUI) -> tuple[Tone, ...]:
    """Each CJK character of `line` under `rules`, read in context."""
    read = _pingshui if rules == PINGSHUI else _xinyun
    return tuple(read(s) for s in chinese.syllables(line))


def pattern(line: str, rules: str = PINGSHUI) -> str:
    """平仄 of each character: "国破山河在" → "仄仄平平仄" (pingshui; 国 is 入声)."""
    return "".join(t.cls for t in tones(line, rules))


def all_groups(char: str, rules: str = PINGSHUI) -> tuple[str, ...]:
    """Every group any reading of `char` rhymes in, 平 groups first under pingshui."""
    if rules == PINGSHUI:
        entries = sorted(table().get(char, ()), key=lambda e: _class(e[0]) != chinese.PING)
        return tuple(dict.fromkeys(f"{tone}{rhyme}" for tone, rhyme in entries))
    return tuple(dict.fromkeys(r.group for r in chinese.readings(char) if r.group))


def same_group(a: str, b: str, rules: str = PINGSHUI) -> bool:
    """Whether two groups rhyme: the same group (xinyun: or 支/齐 通押)."""
    return a == b if rules == PINGSHUI else chinese.same_group(a, b)


def is_ping_group(group: str) -> bool:
    """Whether a group is one of 平 rhymes (the 近体 rhyme on 平)."""
    return group.startswith(_PING_TONES) or group in chinese.GROUPS


def rhymes(char: str, rules: str = PINGSHUI, limit: int = 50) -> list[str]:
    """Common characters rhyming with `char` under `rules` (`limit` 0: all): under pingshui
    those in its group, the ones with a single reading first, then more used first."""
    if rules != PINGSHUI:
        return chinese.rhymes(char, limit)
    mine = tones(char[:1], rules)
    if not mine or not mine[0].groups:
        return []
    group = mine[0].groups[0]
    found = []
    for i, c in enumerate(chinese.common_chars()):
        groups = all_groups(c, rules)
        if c != char[:1] and group in groups:
            found.append((len(groups) > 1, i, c))  # characters with one reading first
    out = [c for *_, c in sorted(found)]
    return out[:limit] if limit else out
