"""The quillpen Textual app (minimal until the writing studio lands)."""

from __future__ import annotations

import argparse

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, TextArea


class QuillpenApp(App[None]):
    TITLE = "quillpen"

    def __init__(self, text: str = "") -> None:
        super().__init__()
        self._text = text

    def compose(self) -> ComposeResult:
        yield Header()
        yield TextArea(self._text, soft_wrap=True, id="editor")
        yield Footer()


def launch(args: argparse.Namespace) -> int:
    text = args.file.read_text(encoding="utf-8") if args.file and args.file.exists() else ""
    QuillpenApp(text).run()
    return 0
