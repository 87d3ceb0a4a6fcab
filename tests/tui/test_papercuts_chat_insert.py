"""Chat Ctrl+T puts the reply at a word or line boundary, never glued to the text around it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.helpers import wait_until
from tui.app import QuillpenApp
from tui.config import Settings
from tui.reply_join import joined, word_end
from tui.widgets.chat import ChatPane


@pytest.mark.parametrize(
    ("before", "reply", "after", "expected"),
    [
        ("巷", "besie Hod", "", " besie Hod"),
        ("e", " the keeper ", "", " the keeper"),
        ("", "Once", "T", "Once "),
        (" ", "a lamp", " ", "a lamp"),
        ("巷", "雨", "", "雨"),
        ("d", "two\nlines", "x", "\ntwo\nlines\n"),
        ("\n", "after a break", "", "after a break"),
    ],
)
def test_the_reply_gets_a_space_or_line_break_where_it_needs_one(
    before: str, reply: str, after: str, expected: str
) -> None:
    assert joined(before, reply, after) == expected


def test_a_cursor_inside_a_word_moves_to_its_end() -> None:
    assert word_end("the lighthouse keeper", 6) == len("the lighthouse")
    assert word_end("the lighthouse", 3) == 3
    assert word_end("小巷里", 1) == 1


async def test_ctrl_t_reply_lands_after_the_word(tmp_path: Path) -> None:
    path = tmp_path / "lane.md"
    path.write_text("撑着油纸伞，走过那条悠长的小巷\nthe lighthouse")
    app = QuillpenApp(path, settings=Settings())
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: "小巷" in app.editor.text)
        app.editor.move_cursor((0, len("撑着油纸伞，走过那条悠长的小巷")))
        app.chat.post_message(ChatPane.InsertReply("besie Hod"))
        await wait_until(pilot, lambda: "besie" in app.editor.text)
        assert app.editor.document[0].endswith("小巷 besie Hod")
        app.editor.move_cursor((1, 6))  # the li|ghthouse
        app.chat.post_message(ChatPane.InsertReply("stood"))
        await wait_until(pilot, lambda: "stood" in app.editor.text)
        assert app.editor.document[1] == "the lighthouse stood"
