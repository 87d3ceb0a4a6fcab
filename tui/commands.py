"""The command palette (Ctrl+P): every action, named as a writer would look for it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import Any, Protocol

from textual.app import SystemCommand

from tui.export_flow import export_document
from tui.screens.main import MainScreen, open_find
from tui.session import DocumentSession
from tui.widgets.chat import ChatPane
from tui.widgets.editor import WriterEditor


class CommandHost(Protocol):
    """What the palette needs of the app (not the app class: no import circle)."""

    editor: WriterEditor
    session: DocumentSession

    @property
    def chat(self) -> ChatPane: ...

    def action_save(self) -> None: ...
    def action_open(self) -> None: ...
    def action_new(self) -> None: ...
    def action_help(self) -> None: ...
    def action_notes(self) -> None: ...
    def action_models(self) -> None: ...
    def show_pane(self, name: str) -> None: ...


def quillpen_commands(app: CommandHost) -> Iterable[SystemCommand]:
    editor, chat, session = app.editor, app.chat, app.session
    table: list[tuple[str, str, Callable[[], Any]]] = [
        ("Continue text", "Continue the document at the cursor (Tab)", editor.action_continue_text),
        ("Alternatives", "Three short continuations to pick from (F6)", editor.action_alternatives),
        ("Stop generating", "Stop the running continuation (Esc)", editor.action_stop),
        ("Surprise view", "Colour each token by how expected it was (F9)", editor.action_insight),
        (
            "Other words here",
            "The model's choices at the cursor (Ctrl+R)",
            editor.action_token_choices,
        ),
        (
            "Poem check",
            "Syllables, form, rhymes for the word at the cursor (F7)",
            editor.action_poem,
        ),
        (
            "Poem margin",
            "Syllables per line, the line's stress, rhymes (F12)",
            editor.action_poem_margin,
        ),
        ("Branch tree…", "Every version the model and you wrote (Ctrl+T)", editor.action_branches),
        (
            "Previous branch",
            "The try before this one here (Alt+Left)",
            partial(editor.action_branch, "previous"),
        ),
        (
            "Next branch",
            "The try after this one here (Alt+Right)",
            partial(editor.action_branch, "next"),
        ),
        (
            "Branch: up",
            "The text this branch grew from (Alt+Up)",
            partial(editor.action_branch, "parent"),
        ),
        (
            "Branch: down",
            "The branch read last below this one (Alt+Down)",
            partial(editor.action_branch, "child"),
        ),
        ("Find…", "Find in the document as you type (Ctrl+F)", partial(open_find, editor, "find")),
        (
            "Replace…",
            "Replace one match or all of them, one undo step (Ctrl+\\)",
            partial(open_find, editor, "replace"),
        ),
        (
            "Go to line…",
            "Jump to a line, or LINE:COLUMN (Ctrl+G)",
            partial(open_find, editor, "goto"),
        ),
        ("Undo", "Undo the last edit or continuation (Ctrl+Z)", editor.undo),
        ("Redo", "Redo (Ctrl+Y)", editor.redo),
        ("Chat: regenerate", "A new last reply (Ctrl+R)", chat.action_regenerate),
        (
            "Chat: previous reply",
            "The version of the last reply before this one (Alt+Left)",
            partial(chat.action_reply_version, -1),
        ),
        (
            "Chat: next reply",
            "The version of the last reply after this one (Alt+Right)",
            partial(chat.action_reply_version, 1),
        ),
        (
            "Chat: insert reply",
            "Put the last reply at the cursor (Ctrl+T)",
            chat.action_insert_reply,
        ),
        ("Chat: copy reply", "Copy the last reply (Ctrl+K)", chat.action_copy_reply),
        ("Chat: clear", "Clear the chat and its history (Ctrl+L)", chat.action_clear),
        ("Save", "Save the document (Ctrl+S)", app.action_save),
        ("Save as…", "Save under a new name", lambda: session.run(session.save_as())),
        (
            "Export…",
            "Markdown or text, the model's words marked or not, with counts",
            lambda: session.run(export_document(app, editor.text, editor.generated_ranges())),  # type: ignore[arg-type]
        ),
        ("Open file…", "Open another document (Ctrl+O)", app.action_open),
        ("New document", "Start an untitled document (Ctrl+N)", app.action_new),
        ("Help", "Show every key (F1)", app.action_help),
        ("Presets…", "Sampler presets and stops: edit, use for Tab, save", editor.action_presets),
        ("Memory & author's note", "What every continuation keeps in mind (F8)", app.action_notes),
        ("Models", "Download, switch and remove models (F5)", app.action_models),
        ("Show editor", "F2", partial(app.show_pane, "editor")),
        ("Show chat", "F3", partial(app.show_pane, "chat")),
        ("Show templates", "F4", partial(app.show_pane, "templates")),
        (
            "Discard recovered text",
            "Reload the file from disk and forget the recovery copy",
            lambda: session.run(session.discard_recovery()),
        ),
    ]
    main = getattr(app, "screen_stack", [None])[0]
    if isinstance(main, MainScreen) and hasattr(main, "spelling"):
        table += main.tool_commands()  # spelling, the watched file, recent files, the goal
    for title, help_text, callback in table:
        yield SystemCommand(title, help_text, callback)
