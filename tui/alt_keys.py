"""Alt+letter as one key: ESC then a letter, as terminals send it, spelled the way kitty does.

Terminals (xterm, GNOME Terminal, tmux, macOS Terminal with "Option as Meta") send Alt+S as
ESC then ``s``. Textual 8.2.8's parser makes that ``alt+s`` only if nothing follows within
``ESCDELAY``; when another escape sequence comes in the same read (``Alt+S`` then an arrow key,
or a burst over SSH) it gives up and types ``^s`` into the text. :func:`spell_out` rewrites
ESC + character into the kitty keyboard protocol's ``CSI code ; 3 u`` (``;4`` with Shift), which
Textual reads at once as ``alt+s`` with no character to type (docs/upstream.md). ESC then a
control character (Esc, then Ctrl+T in one read) lost the Esc: it becomes kitty's Esc key, then
the control character.
"""

from __future__ import annotations

import re

PASTE_START, PASTE_END = "\x1b[200~", "\x1b[201~"
# ESC + a printable character, except those that begin a terminal's own sequences ([ O P ] _ \ N)
# and b and f (Textual reads ESC b / ESC f as Ctrl+Left/Right: macOS's Option+arrows).
_ALT = re.compile(r"\x1b([ -/0-9:-@A-MQ-Z^`ac-eg-z{-~]|[\x00-\x1a\x1c-\x1f])")
_PASTE = re.compile(re.escape(PASTE_START) + "|" + re.escape(PASTE_END))


def _kitty(match: re.Match[str]) -> str:
    char = match.group(1)
    if char < " ":  # Esc then a Ctrl key (Textual kept only the Ctrl key): both, in order
        return "\x1b[27u" + char
    if char.isupper():
        return f"\x1b[{ord(char.lower())};4u"
    return f"\x1b[{ord(char)};3u"


def spell_out(data: str, pasting: bool = False) -> tuple[str, bool]:
    """``data`` with each ESC + character as one kitty key; pasted text is left as it is.

    ``pasting``: whether a bracketed paste began in an earlier read; returned for the next."""
    out: list[str] = []
    pos = 0
    for marker in _PASTE.finditer(data):
        segment = data[pos : marker.start()]
        out += [segment if pasting else _ALT.sub(_kitty, segment), marker.group()]
        pasting, pos = marker.group() == PASTE_START, marker.end()
    tail = data[pos:]
    out.append(tail if pasting else _ALT.sub(_kitty, tail))
    return "".join(out), pasting
