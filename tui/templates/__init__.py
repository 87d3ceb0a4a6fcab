"""Prompt templates: built-in ``*.toml`` files shipped in this package, plus the user's own.

A template is the *opening of a document* for GPT-2 (a base model) to continue, with ``{field}``
placeholders the user fills in a form. Substitution is deliberately tiny and safe:

* only ``{name}`` where ``name`` is a declared field is replaced;
* ``{{`` and ``}}`` are literal braces;
* anything else inside braces (``{a.b}``, ``{a[0]}``, ``{a!r}``, ``{a:>10}``, ``{}``) is rejected
  when the template is loaded;
* values are inserted literally and never expanded again.

User templates live in ``config_dir() / "templates"``; a bad file becomes a :class:`TemplateError`
(file and reason) instead of an exception, so one typo never hides the other templates.
"""

from __future__ import annotations

from tui.templates.loader import (
    BUILTIN_DIR,
    CATEGORIES,
    MAX_FILE_BYTES,
    MAX_TOKENS_LIMIT,
    load_all,
    load_builtin,
    load_file,
    load_user,
    user_dir,
)
from tui.templates.template import Field, Template, TemplateError, parse_body, placeholders, render

__all__ = [
    "BUILTIN_DIR",
    "CATEGORIES",
    "MAX_FILE_BYTES",
    "MAX_TOKENS_LIMIT",
    "Field",
    "Template",
    "TemplateError",
    "load_all",
    "load_builtin",
    "load_file",
    "load_user",
    "parse_body",
    "placeholders",
    "render",
    "user_dir",
]
