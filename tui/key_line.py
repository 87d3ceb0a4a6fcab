"""Which keys the key line shows on the main screen, in the order a writer uses them.

The key line fills its width in this order (binding ids, or an action for Textual's own
palette key), with these short names; F1 lists every key with its full description.
"""

from __future__ import annotations

ORDER: dict[str, str] = {
    "editor.continue": "Continue",
    "chat.send": "Send",
    "templates.use": "Use template",
    "app.help": "Help",
    "app.save": "Save",
    "pane.editor": "Editor",
    "pane.chat": "Chat",
    "pane.templates": "Templates",
    "app.models": "Models",
    "editor.alternatives": "Alternatives",
    "chat.regenerate": "Regenerate",
    "chat.insert": "Insert reply",
    "editor.undo": "Undo",
    "command_palette": "Palette",
    "editor.poem": "Poem",
    "editor.insight": "Surprise",
    "editor.choices": "Other words",
    "editor.branches": "Branches",
    "chat.stop": "Stop",
    "chat.copy": "Copy reply",
    "chat.clear": "Clear chat",
    "app.notes": "Memory & note",
    "editor.margin": "Margin",
    "app.quit": "Quit",
    "app.open": "Open",
    "app.new": "New",
}
