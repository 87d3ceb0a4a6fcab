"""Chinese verse: characters per line, 平仄 and rhyme groups from pinyin (pypinyin, MIT).

Tones: pypinyin gives the modern (Mandarin) reading. Tones 1 and 2 are 平, 3 and 4 are 仄.
Middle Chinese's entering tone (入声) is gone from Mandarin: its characters are scattered over
all four modern tones, so those read today in tone 1 or 2 (白, 月 in some readings, 国, 竹…)
come out 平 where classical prosody counts them 仄. That cannot be recovered from pinyin.

Rhyme groups: the 14 groups of 中华新韵 (the 中华诗词学会's 2005 table), which are defined on
modern finals. 平水韵's 106 groups follow Middle Chinese distinctions (东/冬, 入声 endings)
that modern pinyin has merged, so deriving them from pinyin would be wrong more often than
right; 中华新韵 is the standard for new classical-form poems and is exact on pinyin.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cache, lru_cache

PING = "平"
ZE = "仄"
UNKNOWN = "?"

#: 中华新韵: group → the pinyin finals in it (v is ü; "-i" the vowel of zhi chi shi ri zi ci si).
GROUPS: dict[str, tuple[str, ...]] = {
    "一麻": ("a", "ia", "ua"),
    "二波": ("o", "e", "uo", "io"),
    "三皆": ("ie", "ve"),
    "四开": ("ai", "uai"),
    "五微": ("ei", "uei"),
    "六豪": ("ao", "iao"),
    "七尤": ("ou", "iou"),
    "八寒": ("an", "ian", "uan", "van"),
    "九文": ("en", "in", "uen", "vn"),
    "十唐": ("ang", "iang", "uang"),
    "十一庚": ("eng", "ing", "ueng", "ong", "iong"),
    "十二齐": ("i", "er", "v"),
    "十三支": ("-i",),
    "十四姑": ("u",),
}
_GROUP_OF = {final: group for group, finals in GROUPS.items() for final in finals}
#: Groups that may rhyme together (通押): 支 with 齐.
_TOGETHER = {"十三支": "十二齐"}

#: Phrases whose reading pypinyin gets wrong for verse: 重 "layers" (chong2), 胜 "bear" (sheng1).
PHRASES: dict[str, tuple[str, ...]] = {
    "万重": ("wan4", "chong2"),
    "千重": ("qian1", "chong2"),
    "几重": ("ji3", "chong2"),
    "九重": ("jiu3", "chong2"),
    "重重": ("chong2", "chong2"),
    "重阳": ("chong2", "yang2"),
    "重来": ("chong2", "lai2"),
    "重逢": ("chong2", "feng2"),
    "不胜": ("bu4", "sheng1"),
    "难胜": ("nan2", "sheng1"),
}
#: Characters pypinyin's phrases give with tone sandhi (不住 bu2): verse wants the citation tone.
CITATION = {"不": "bu4", "一": "yi1", "七": "qi1", "八": "ba1"}

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_BREAK = re.compile(r"[，。？！；：、,.?!;:]+")
_APICAL = frozenset({"zh", "ch", "sh", "r", "z", "c", "s"})


def is_cjk(ch: str) -> bool:
    return bool(_CJK.fullmatch(ch))


def cjk_count(text: str) -> int:
    return len(_CJK.findall(text))


def hanzi(text: str) -> str:
    """Only the CJK characters of `text`."""
    return "".join(_CJK.findall(text))


def verses(text: str) -> list[str]:
    """The verses (句) of a poem: text lines split at punctuation, CJK characters only.

    "床前明月光，疑是地上霜。" is two verses. Blank lines and Markdown headings are skipped.
    """
    out: list[str] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        out += [h for part in _BREAK.split(line) if (h := hanzi(part))]
    return out


@dataclass(frozen=True)
class Syllable:
    char: str
    pinyin: str  # "guang1"; the character itself when pypinyin has no reading
    tone: int  # 1–4; 0 when unknown
    final: str  # strict final ("uang", "v", "-i"); "" when unknown

    @property
    def tone_class(self) -> str:
        """平, 仄, or ? when the tone is unknown."""
        if self.tone in (1, 2):
            return PING
        if self.tone in (3, 4):
            return ZE
        return UNKNOWN

    @property
    def group(self) -> str:
        """The 中华新韵 group ("十唐"), "" when unknown."""
        return _GROUP_OF.get(self.final, "")


def _syllable(char: str, reading: str) -> Syllable:
    from pypinyin.contrib.tone_convert import to_finals, to_initials

    if not reading[-1:].isdigit() or reading[-1] == "5":
        return Syllable(char, reading, 0, "")
    tone = int(reading[-1])
    final = to_finals(reading, strict=True)
    if final == "i" and to_initials(reading, strict=True) in _APICAL:
        final = "-i"
    return Syllable(char, reading, tone, final)


@lru_cache(maxsize=4096)
def _alone(char: str) -> str:
    from pypinyin import Style, lazy_pinyin

    return lazy_pinyin(char, style=Style.TONE3, neutral_tone_with_five=True)[0]


@lru_cache(maxsize=4096)
def syllables(text: str) -> tuple[Syllable, ...]:
    """One `Syllable` per CJK character of `text`, read in context (for 多音字).

    A character the context reads in the neutral tone (东西's 西) gets its own reading.
    """
    from pypinyin import Style, lazy_pinyin

    chars = hanzi(text)
    if not chars:
        return ()
    readings = lazy_pinyin(chars, style=Style.TONE3, neutral_tone_with_five=True)
    if len(readings) != len(chars):  # pypinyin kept a run it could not read as one item
        readings = [_alone(c) for c in chars]
    for phrase, fixed in PHRASES.items():
        at = chars.find(phrase)
        while at >= 0:
            readings[at : at + len(phrase)] = fixed
            at = chars.find(phrase, at + 1)
    readings = [
        CITATION.get(c, r) if r[:-1] == CITATION.get(c, "")[:-1] else r
        for c, r in zip(chars, readings, strict=True)
    ]
    out = []
    for char, reading in zip(chars, readings, strict=True):
        if reading.endswith("5") or not reading[-1:].isdigit():
            reading = _alone(char)
        out.append(_syllable(char, reading))
    return tuple(out)


@lru_cache(maxsize=4096)
def readings(char: str) -> tuple[Syllable, ...]:
    """Every reading pypinyin knows for one character, the usual one first (还: hai2, huan2…)."""
    from pypinyin import Style, pinyin

    found = pinyin(char, style=Style.TONE3, heteronym=True, neutral_tone_with_five=True)
    return tuple(_syllable(char, r) for r in (found[0] if found else []))


def tone_pattern(text: str) -> str:
    """平仄 of each character: "床前明月光" → "平平平仄平"."""
    return "".join(s.tone_class for s in syllables(text))


def same_group(a: str, b: str) -> bool:
    """Whether two 中华新韵 groups rhyme (the same, or 通押)."""
    return bool(a) and (a == b or _TOGETHER.get(a) == b or _TOGETHER.get(b) == a)


@cache
def common_chars() -> tuple[str, ...]:
    """GB2312's level-1 characters (the 3,755 most used), most used first.

    Use is estimated by how many of pypinyin's phrases hold the character.
    """
    from pypinyin.phrases_dict import phrases_dict

    chars = []
    for hi in range(0xB0, 0xD8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.append(bytes((hi, lo)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    uses = Counter(ch for phrase in phrases_dict for ch in phrase)
    return tuple(sorted(chars, key=lambda c: -uses[c]))


@cache
def _common_syllables() -> tuple[Syllable, ...]:
    from pypinyin import Style, lazy_pinyin

    chars = common_chars()
    readings = lazy_pinyin(list(chars), style=Style.TONE3, neutral_tone_with_five=True)
    return tuple(_syllable(c, r) for c, r in zip(chars, readings, strict=True))


def rhymes(char: str, limit: int = 50) -> list[str]:
    """Common characters in the rhyme group of `char`, best first (`limit` 0: all).

    Same tone class (平 or 仄) before the other, the same final before the rest of the group,
    more used before less.
    """
    got = syllables(char[:1])
    if not got or not got[0].group:
        return []
    me = got[0]
    ranked = []
    for i, s in enumerate(_common_syllables()):
        if s.char == me.char or not same_group(s.group, me.group):
            continue
        key = (s.tone_class != me.tone_class, s.group != me.group, s.final != me.final, i)
        ranked.append((key, s.char))
    ranked.sort()
    out = [c for _, c in ranked]
    return out[:limit] if limit else out
