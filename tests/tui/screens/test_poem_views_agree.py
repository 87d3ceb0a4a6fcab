"""One reading for every view (issue 21, item 6): `poem check`, F7 and the margin (Alt+S) give
the same counts and the same notes for the same lines, and F7 looks up the word under the
cursor (光, not 月)."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable

from tests.support.helpers import wait_until
from tui import poetry
from tui.app import QuillpenApp
from tui.config import Settings
from tui.screens.poem import PoemScreen
from tui.widgets.poem_margin import poem_counts

SONNET_116 = (Path(__file__).resolve().parents[2] / "data" / "poems" / "sonnet116.json").read_text(
    "utf-8"
)


def sonnet() -> str:
    import json

    return "\n".join(line["text"] for line in json.loads(SONNET_116)["lines"]) + "\n"


def test_check_margin_and_syllables_agree_on_every_line() -> None:
    text = sonnet()
    report = poetry.check(text, "sonnet")
    margin = poem_counts(text)
    infos = poetry.poem_infos(text)
    for line, info in zip(report.lines, infos, strict=True):
        assert margin[line.text] == str(line.syllables) == str(info.syllables), line.text
        assert info.notes == tuple(n for n in line.notes if "rhyme with" not in n)
    # the elided readings are the ones all three chose, and say so
    assert "even as 1 syllable (elided)" in report.lines[11].notes


async def test_f7_and_the_margin_show_the_checks_counts_and_notes(tmp_path: Path) -> None:
    path = tmp_path / "116.md"
    text = sonnet().replace("tempests", "zorblats")  # one word the dictionary lacks
    path.write_text(text, encoding="utf-8")
    report = poetry.check(text, "sonnet")
    app = QuillpenApp(path, settings=Settings())
    async with app.run_test(size=(120, 34)) as pilot:
        editor = app.editor
        await wait_until(pilot, lambda: editor.text == text)
        editor.move_cursor((0, 3))
        await pilot.press("alt+s")
        await wait_until(pilot, lambda: bool(editor.border_subtitle), 20)
        rows = [editor.render_line(y).text for y in range(editor.size.height)]
        labels = [label for row in rows if (label := row[:4].strip())]  # wrapped rows: none
        want = [f"{r.syllables}{'~' if r.estimated else ''}" for r in report.lines]
        assert labels == want
        await pilot.press("f7")
        await wait_until(pilot, lambda: isinstance(app.screen, PoemScreen))
        screen = app.screen
        assert isinstance(screen, PoemScreen)
        await wait_until(pilot, lambda: screen.view is not None, 20)
        table = screen.query_one(DataTable)
        counts = [str(table.get_row_at(i)[2]) for i in range(table.row_count)]
        assert counts == [f"{'~' if r.estimated else ''}{r.syllables}" for r in report.lines]
        said = [str(table.get_row_at(i)[5]) for i in range(table.row_count)]
        assert "estimated: zorblats" in said[5]
        assert "slant rhyme" in said[3] and "even as 1 syllable" in said[11]
        assert "iambic pentameter" in said[0]


async def test_f7_on_guang_looks_up_guang(tmp_path: Path) -> None:
    path = tmp_path / "jys.md"
    text = "床前明月光，疑是地上霜。\n举头望明月，低头思故乡。\n"
    path.write_text(text, encoding="utf-8")
    app = QuillpenApp(path, settings=Settings())
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.editor.text == text)
        app.editor.move_cursor((0, 4))  # on 光
        await pilot.press("f7")
        await wait_until(pilot, lambda: isinstance(app.screen, PoemScreen))
        screen = app.screen
        assert isinstance(screen, PoemScreen) and screen.word == "光"
        await wait_until(pilot, lambda: screen.view is not None, 20)
        assert screen.view is not None and "霜" in screen.view.rhymes
        assert "平水韵" in str(screen.query_one("#poem-verdict").render())
