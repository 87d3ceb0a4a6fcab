"""Spelling: unknown words underlined as the writer types, suggestions, a personal word list.

- :mod:`tui.spelling.checker`: the dictionaries (pyspellchecker's, the poem tools' CMU
  dictionary, the writer's own words) and the check of one line (no Textual);
- :mod:`tui.spelling.marks`: the editor's underline, each line checked once while it stays
  the same, and the whole-draft pass;
- :mod:`tui.spelling.control`: loading the dictionaries in a worker, the suggestions key.
"""

from __future__ import annotations

LANGUAGES = ("en", "de", "es", "fr", "it", "nl", "pt", "ru", "ar", "eu", "fa", "lv")
"""The dictionaries pyspellchecker ships (``spelling_language`` in config.toml)."""
