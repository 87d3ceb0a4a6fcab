"""`export --mark asterisks` writes Markdown that renders: every generated piece in italics.

Checked with a real Markdown parser (markdown-it-py, which Textual depends on): ``* word*`` and
``*word *`` are no emphasis, and neither is ``word*.x*``.
"""

from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt

from tui.export import marked


def _italics(markdown: str) -> list[str]:
    html = MarkdownIt("commonmark").render(markdown)
    assert "*" not in html, html  # every asterisk became emphasis
    return re.findall(r"<em>(.*?)</em>", html)


@pytest.mark.parametrize(
    ("text", "generated"),
    [
        ("up the stairs. Helmetkb went to Bermuda", " Helmetkb went to Bermuda"),
        ("up the stairs. Helmetkb went \nto Bermuda\n", " Helmetkb went \nto Bermuda\n"),
        ('I said,"run" then', '"run" then'),
        ("a word.\n\n  Then a gap  \nthe end", ".\n\n  Then a gap  \nthe"),
        ("mid-word tail", "word tail"),
    ],
)
def test_each_generated_line_renders_in_italics(text: str, generated: str) -> None:
    start = text.index(generated)
    lines = [line.strip() for line in generated.split("\n") if re.search(r"\w", line)]
    shown = _italics(marked(text, [(start, start + len(generated))], "asterisks"))
    assert len(shown) == len(lines)
    for line, em in zip(lines, shown, strict=True):
        assert em.replace("&quot;", '"') in line  # (punctuation may stand outside the marks)
