"""Chinese text in and out of a WordPiece model: decode spacing and line breaks.

**Spacing.** llama.cpp decodes a WordPiece word-start token as a space plus the piece, and BERT
makes every CJK character and punctuation mark a word of its own, so "床前明月光，" comes back as
" 床 前 明 月 光 ，". :class:`CjkJoiner` (streaming) and :func:`join_cjk` remove a space:

- next to CJK punctuation (CJK and full-width marks, “ ” ‘ ’ … — ·), on either side;
- between two CJK ideographs, and between an ideograph and punctuation of any kind;
- before closing punctuation (``, . ! ? ; : ) ] } %``) and after opening brackets ``( [ {``,
  much as BERT's own decoder cleans up " ," and " .";
- at the start of the text when nothing comes before it.

Spaces between CJK and Latin letters or digits stay ("我 爱 python" → "我爱 python"): the
original may or may not have had one, and keeping it is the safe choice.

**Line breaks.** WordPiece treats a line break as a space, and the UER models never saw one:
each training document is a single line. The poem model's poems are one line per poem with
"，" and "。" between the sentences. So for the ``verse`` form (poems, lyrics):

- going in (:func:`to_model_text`), a line break after a line that does not end in
  punctuation becomes "，", and any other line break a space (one character for one, so the
  document's character offsets stay valid);
- coming out (:class:`LineRestorer`), a line break follows every "，。！？；" (after any closing
  quote or bracket that follows it), unless the text already has one there.

The ``prose`` form leaves line breaks to the tokenizer (they are spaces) and adds none.
"""

from __future__ import annotations

import unicodedata

BREAK_AFTER = "，。！？；"
CLOSERS = "”’」』）》】〕〉"
_CLOSING = ",.!?;:)]}%"
_OPENING = "([{"


def is_cjk_char(ch: str) -> bool:
    """A CJK ideograph, in the ranges BERT (and llama.cpp's WordPiece) split one by one."""
    cp = ord(ch)
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x20000 <= cp <= 0x2A6DF
        or 0x2A700 <= cp <= 0x2CEAF
        or 0xF900 <= cp <= 0xFAFF
        or 0x2F800 <= cp <= 0x2FA1F
    )


def is_cjk_mark(ch: str) -> bool:
    """CJK and full-width punctuation, and the general marks Chinese text uses (“ ” … —)."""
    cp = ord(ch)
    return (
        0x3000 < cp <= 0x303F  # 、。〈〉《》「」『』【】〔〕 (U+3000 itself is a space)
        or 0xFF00 <= cp <= 0xFFEF  # ！，：；？（）and full-width forms
        or 0xFE10 <= cp <= 0xFE4F  # vertical and compatibility forms
        or 0x2010 <= cp <= 0x2027  # ‐ – — ‘ ’ “ ” … ‧
        or cp == 0x00B7  # · (between the parts of a transcribed name)
    )


def _punct(ch: str) -> bool:
    return unicodedata.category(ch).startswith("P") or ch in "$+<=>^`|~"


class CjkJoiner:
    """Removes WordPiece's decode spaces from streamed text (see the module docstring).

    ``previous`` is the text just before the stream (only its last characters matter); empty
    means the stream starts a document, so its leading space goes too.
    """

    def __init__(self, previous: str = "") -> None:
        self._tail = previous[-1:]
        self._spaces = ""

    def _drop(self, nxt: str) -> bool:
        """Whether the held spaces between the text so far and ``nxt`` should go."""
        prev = self._tail
        if not prev or prev in "\n\t":
            return True
        if is_cjk_mark(prev) or is_cjk_mark(nxt):
            return True
        if is_cjk_char(prev) and (is_cjk_char(nxt) or _punct(nxt)):
            return True
        if is_cjk_char(nxt) and _punct(prev):
            return True
        return nxt in _CLOSING or prev in _OPENING

    def feed(self, text: str) -> str:
        out: list[str] = []
        for ch in text:
            if ch == " ":
                self._spaces += ch
                continue
            if self._spaces:
                if not self._drop(ch):
                    out.append(self._spaces)
                self._spaces = ""
            out.append(ch)
            self._tail = ch
        return "".join(out)

    def flush(self) -> str:
        """Spaces still held at the end (never any after a WordPiece token)."""
        held, self._spaces = self._spaces, ""
        return held


def join_cjk(text: str, previous: str = "") -> str:
    """``text`` without WordPiece's decode spaces (see the module docstring)."""
    joiner = CjkJoiner(previous)
    return joiner.feed(text) + joiner.flush()


def to_model_text(text: str, form: str = "prose") -> str:
    """The document's text as the model was trained to see it (same length as ``text``)."""
    if form != "verse" or "\n" not in text:
        return text
    out: list[str] = []
    line_end = ""  # the last visible character of the current line
    for ch in text:
        if ch == "\n":
            out.append("，" if line_end and not _punct(line_end) else " ")
            line_end = ""
            continue
        out.append(ch)
        if not ch.isspace():
            line_end = ch
    return "".join(out)


class LineRestorer:
    """Puts line breaks back into generated ``verse`` text (see the module docstring).

    ``previous`` is the document just before the insertion point: after "，" with no line
    break yet, the generated text starts on a new line.
    """

    def __init__(self, form: str = "prose", previous: str = "") -> None:
        self.form = form
        tail = previous.rstrip(" \t" + CLOSERS)
        self._pending = form == "verse" and bool(tail) and tail[-1] in BREAK_AFTER
        if previous.endswith("\n"):
            self._pending = False

    def feed(self, text: str) -> str:
        if self.form != "verse":
            return text
        out: list[str] = []
        for ch in text:
            if self._pending:
                if ch in CLOSERS:
                    out.append(ch)
                    continue
                if ch == " ":
                    continue  # no space at the start of the new line
                self._pending = False
                if ch != "\n":
                    out.append("\n")
            out.append(ch)
            if ch in BREAK_AFTER:
                self._pending = True
        return "".join(out)


def restore_lines(text: str, form: str = "verse", previous: str = "") -> str:
    """``text`` with its line breaks put back (a pure :class:`LineRestorer` run)."""
    return LineRestorer(form, previous).feed(text)


def looks_like_verse(text: str, lines: int = 4, longest: int = 16) -> bool:
    """True when ``text`` ends in verse: its last ``lines`` lines are short and each ends a
    sentence or clause (a poem or lyrics, whose line breaks the "verse" form keeps)."""
    end = text[-lines * (longest + 2) * 4 :]  # only the end matters (a long document: fast)
    tail = [line.strip() for line in end.splitlines() if line.strip()][-lines:]
    return len(tail) >= 2 and all(
        len(line) <= longest and line[-1] in BREAK_AFTER + ",.!?;:" for line in tail
    )
