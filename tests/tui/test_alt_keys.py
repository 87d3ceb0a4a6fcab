"""ESC + character becomes one kitty Alt key before Textual's parser sees it (tui.alt_keys)."""

from __future__ import annotations

from tui.alt_keys import PASTE_END, PASTE_START, spell_out


def test_esc_letter_becomes_one_alt_key_even_before_another_sequence() -> None:
    assert spell_out("\x1bs\x1b[1;5H")[0] == "\x1b[115;3u\x1b[1;5H"
    assert spell_out("\x1bS")[0] == "\x1b[115;4u"  # Alt+Shift+S


def test_terminal_sequences_and_word_moves_are_left_alone() -> None:
    for data in ("\x1b[A", "\x1bOP", "\x1b]11;rgb:0/0/0\x1b\\", "\x1bP1$r\x1b\\", "\x1bb", "\x1b"):
        assert spell_out(data) == (data, False)


def test_pasted_text_is_left_alone_across_reads() -> None:
    data, pasting = spell_out(f"\x1bs{PASTE_START}a\x1bs")
    assert (data, pasting) == (f"\x1b[115;3u{PASTE_START}a\x1bs", True)
    data, pasting = spell_out(f"\x1bt{PASTE_END}\x1bt", pasting)
    assert (data, pasting) == (f"\x1bt{PASTE_END}\x1b[116;3u", False)


def test_esc_then_a_ctrl_key_keeps_both() -> None:
    assert spell_out("\x1b\x14")[0] == "\x1b[27u\x14"  # Esc, Ctrl+T
    assert spell_out("\x1b\x1b[A")[0] == "\x1b\x1b[A"  # (Esc then Up: Textual's own)
