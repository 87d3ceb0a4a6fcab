"""The chat and template panes: made when first needed, after the first frame, with their styles.

Their modules and styles cost a tenth of a launch, and the first frame needs neither: the main
screen mounts them once the document is drawn (:class:`~tui.screens.main.MainScreen`), and a
question asked as the document opens reads the screens' styles when it is pushed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from textual.app import App
    from textual.widget import Widget

    from models.engine_client import EngineClient
    from tui.config import Settings
    from tui.document import Document
    from tui.widgets.chat import ChatPane
    from tui.widgets.editor import WriterEditor
    from tui.widgets.templates import TemplatePane

LATER_CSS_PATH = [
    Path(__file__).with_name("screens.tcss"),
    Path(__file__).with_name("widgets") / "chat.tcss",
    Path(__file__).with_name("widgets") / "templates.tcss",
]
"""Read after the first frame, in this order after ``app.tcss``: as the chat and template panes
join, or as another screen opens."""


class HasDocument(Protocol):
    """The document session (:class:`tui.session.DocumentSession`: it imports this module)."""

    @property
    def document(self) -> Document: ...


class SidePanes:
    """Makes the chat pane (for the ``session``'s document, its draft the ``editor``'s text up
    to the cursor, asking ``engine`` with the ``settings``' sampler) and the template pane,
    each once."""

    def __init__(
        self,
        app: App[Any],
        session: HasDocument,
        editor: WriterEditor,
        engine: EngineClient,
        settings: Settings,
    ) -> None:
        self.app = app
        self._chat_parts = (session, editor, engine, settings)
        self.made_chat: ChatPane | None = None
        """The chat pane once made (:attr:`chat` makes it)."""
        self._templates: TemplatePane | None = None

    @property
    def chat(self) -> ChatPane:
        """The chat pane, made now if it was not yet; it shows the chat of the document on
        screen as it is made."""
        if self.made_chat is None:
            from tui.widgets.chat import ChatPane

            session, editor, engine, settings = self._chat_parts
            key = session.document.key
            self.made_chat = ChatPane(
                key, editor.prompt_text, engine, lambda: settings.sampler, id="chat"
            )
        return self.made_chat

    @property
    def templates(self) -> TemplatePane:
        """The template pane, made when first needed (it reads every template file)."""
        if self._templates is None:
            from tui.widgets.templates import TemplatePane

            self._templates = TemplatePane(id="templates")
        return self._templates

    def __call__(self) -> tuple[Widget, Widget]:
        """Chat and templates with their styles (the main screen adds them)."""
        self.read_css()
        return self.chat, self.templates

    def read_css(self) -> None:
        """The styles of every pane and screen after the first frame's (read once)."""
        stylesheet = self.app.stylesheet
        if not all(stylesheet.has_source(str(path)) for path in LATER_CSS_PATH):
            stylesheet.read_all(LATER_CSS_PATH)
            stylesheet.parse()
