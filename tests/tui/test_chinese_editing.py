"""Writing Chinese in the editor: wide characters move, select, delete and wrap as characters,
generated marks cover exactly the generated characters, and the status bar counts 字."""

from __future__ import annotations

from pathlib import Path

from textual.widgets.text_area import Selection

from tests.support.helpers import wait_until
from tui.app import QuillpenApp
from tui.config import Settings
from tui.text_stats import text_stats

POEM = "床前明月光，疑是地上霜。\n举头望明月abc低头思故乡。"


async def test_cursor_selection_and_deletion_over_wide_characters(tmp_path: Path) -> None:
    path = tmp_path / "诗.md"
    path.write_text(POEM, encoding="utf-8")
    app = QuillpenApp(path, settings=Settings())
    async with app.run_test(size=(80, 24)) as pilot:
        editor = app.editor
        await wait_until(pilot, lambda: editor.text == POEM)
        editor.move_cursor((0, 0))
        await pilot.press("right", "right", "right")
        assert editor.cursor_location == (0, 3)  # one key, one character (two cells each)
        await pilot.press(*"X")
        assert editor.document.get_line(0).startswith("床前明X月光")
        await pilot.press("shift+right", "shift+right")
        assert editor.selected_text == "月光"
        await pilot.press("backspace")
        assert editor.document.get_line(0) == "床前明X，疑是地上霜。"
        await pilot.press("down")  # into the mixed line: the cursor keeps its screen column
        row, col = editor.cursor_location
        assert row == 1 and editor.document.get_line(1)[:col] == "举头望"  # 4 cells ≈ 2 chars
        await pilot.press("end", "ctrl+left")
        assert editor.cursor_location[0] == 1
        await pilot.press("ctrl+z")  # undo brings whole characters back, never half of one
        assert editor.document.get_line(0) == "床前明X月光，疑是地上霜。"
        assert app.status.word_unit == "字"


async def test_generated_marks_and_wrapping_over_wide_characters(tmp_path: Path) -> None:
    app = QuillpenApp(tmp_path / "s.md", settings=Settings())
    async with app.run_test(size=(40, 24)) as pilot:
        editor = app.editor
        await pilot.press(*"开头")
        editor.insert_generated("白日依山尽，黄河入海流。" * 3)
        mark = editor.marks[-1]
        assert (mark.start, mark.end) == ((0, 2), (0, 2 + 36))
        line = editor.get_line(0)  # the styled line: the mark starts after what was typed
        styled = {span.start for span in line.spans}
        assert 2 in styled
        await pilot.pause()
        # 38 wide characters = 76 cells: soft wrap splits the line on character boundaries.
        wrapped = editor.wrapped_document.get_offsets(0)
        assert wrapped and all(0 < offset < 38 for offset in wrapped)
        editor.selection = Selection((0, 2), (0, 38))
        await pilot.press("backspace")
        assert editor.text == "开头" and not editor.marks


def test_word_count_counts_characters_for_chinese() -> None:
    assert text_stats("床前明月光，疑是地上霜。").words == 10
    assert text_stats("床前明月光，疑是地上霜。").unit == "字"
    assert text_stats("The moon, the frost.").unit == "words"
    mixed = text_stats("我爱 python 和 Textual")
    assert (mixed.words, mixed.cjk) == (5, 3)


async def test_a_chinese_poem_template_writes_verse_lines(tmp_path: Path) -> None:
    """七言绝句 with a WordPiece model: the opening goes in, the output comes back one verse a
    line (the model never sees line breaks; the "verse" form restores them)."""
    import dataclasses

    from models.hub.convert import convert
    from tests.support.tinymodel import make_wordpiece_checkpoint
    from tui.templates import load_builtin, render
    from tui.widgets.templates import TemplatePane

    source = make_wordpiece_checkpoint(tmp_path / "zh", favour="。")
    model = convert(source, tmp_path / "zh.f32.gguf", "f32")
    template = next(t for t in load_builtin() if t.title == "七言绝句")
    assert template.line_form == "verse" and template.model == "gpt2-chinese-poem"
    template = dataclasses.replace(template, model=str(model), max_tokens=3, preset="focused")
    app = QuillpenApp(tmp_path / "诗.md", settings=Settings())
    async with app.run_test(size=(80, 24)) as pilot:
        app.panes.templates.post_message(TemplatePane.Use(render(template), template))
        await wait_until(pilot, lambda: app.editor.last_stats.generated_tokens > 0, 30)
        assert app.editor.text.startswith(render(template))
        written = app.editor.text[len(render(template)) :]
        assert written.startswith("\n") and "。\n" in written, repr(written)
        assert " " not in written  # no WordPiece spaces between characters


def test_a_chinese_model_chats_in_a_chinese_transcript(tmp_path: Path) -> None:
    from models.hub.convert import convert
    from models.local.engine import Engine
    from models.prompting.chat_prompt import build_chat_prompt
    from models.prompting.transcript import CHAT_STOPS, Turn, clean_reply
    from tests.support.tinymodel import make_wordpiece_checkpoint

    source = make_wordpiece_checkpoint(tmp_path / "zh", n_ctx=256)
    model = convert(source, tmp_path / "zh.gguf", "f32")
    engine = Engine.load(model)
    try:
        history = [Turn("user", "这首诗写的是什么？"), Turn("assistant", "思乡。")]
        prompt = build_chat_prompt(
            engine, history, "怎样改得更好？", draft="床前明月光", max_new=32
        )
        assert prompt.text.startswith("以下是一位作者和写作助手的问答")
        assert "问：这首诗写的是什么？\n答：思乡。\n问：怎样改得更好？\n答：" in prompt.text
        assert "【作者的草稿结尾】床前明月光【草稿完】" in prompt.text
        assert "<|endoftext|>" not in prompt.text and "User" not in prompt.text
        assert prompt.stop == ("问：", "答：") and set(prompt.stop) <= set(CHAT_STOPS)
        assert len(prompt.tokens) <= engine.n_ctx_train - 32
        assert clean_reply("多用具体的意象。问：") == "多用具体的意象。"
        assert clean_reply("多用具体的意象。问") == "多用具体的意象。"
    finally:
        engine.close()
