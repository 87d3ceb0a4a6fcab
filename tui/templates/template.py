"""A template: its fields, its body with ``{field}`` placeholders, and safe substitution."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

NAME_RE = re.compile(r"[a-z_][a-z0-9_]*\Z")
_PLACEHOLDER_RE = re.compile(r"[a-z_][a-z0-9_]*")


class TemplateError(Exception):
    """A template file that could not be loaded: ``path`` and a one-line ``message``."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(f"{path.name}: {message}")
        self.path = path
        self.message = message

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TemplateError):
            return NotImplemented
        return (self.path, self.message) == (other.path, other.message)

    def __hash__(self) -> int:
        return hash((self.path, self.message))

    def __repr__(self) -> str:
        return f"TemplateError({str(self.path)!r}, {self.message!r})"


@dataclass(frozen=True)
class Field:
    """One blank in a template's form."""

    name: str
    label: str
    default: str = ""
    multiline: bool = False


@dataclass
class Template:
    """A loaded, validated template."""

    title: str
    description: str
    category: str
    preset: str
    max_tokens: int
    stop: list[str]
    body: str
    fields: list[Field]
    source: Path
    builtin: bool
    language: str = "en"
    """The language the template writes in (``en``, ``zh``): F4 groups by it."""
    model: str | None = None
    """The model the template is written for (a catalog name); None: whichever is loaded."""
    line_form: str = "prose"
    """"verse" for poems and lyrics: one line per verse (what a Chinese model needs mapped)."""
    examples: str = ""
    """Few-shot examples the model reads before the document, never written into it."""

    @property
    def key(self) -> str:
        """A stable identifier: ``builtin:<stem>`` or ``user:<stem>``."""
        return f"{'builtin' if self.builtin else 'user'}:{self.source.stem}"

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def defaults(self) -> dict[str, str]:
        return {f.name: f.default for f in self.fields}


# Placeholder parsing ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Slot:
    name: str


def parse_body(body: str) -> list[str | _Slot]:
    """Split ``body`` into literal text and placeholders; ``ValueError`` for a bad brace.

    Accepts only ``{{``, ``}}`` and ``{identifier}``; the identifier is ``[a-z_][a-z0-9_]*``.
    """
    parts: list[str | _Slot] = []
    literal: list[str] = []
    i, n = 0, len(body)
    while i < n:
        ch = body[i]
        if ch == "{":
            if body.startswith("{{", i):
                literal.append("{")
                i += 2
                continue
            close = body.find("}", i + 1)
            if close == -1:
                raise ValueError(f"unclosed '{{' at {_where(body, i)}")
            inner = body[i + 1 : close]
            if not _PLACEHOLDER_RE.fullmatch(inner):
                raise ValueError(
                    f"invalid placeholder {{{_short(inner)}}} at {_where(body, i)} "
                    "(only {name} with a-z, 0-9 and _ is allowed; write {{ and }} for braces)"
                )
            if literal:
                parts.append("".join(literal))
                literal = []
            parts.append(_Slot(inner))
            i = close + 1
        elif ch == "}":
            if body.startswith("}}", i):
                literal.append("}")
                i += 2
                continue
            raise ValueError(f"single '}}' at {_where(body, i)} (write }}}} for a literal brace)")
        else:
            literal.append(ch)
            i += 1
    if literal:
        parts.append("".join(literal))
    return parts


def _where(text: str, index: int) -> str:
    line = text.count("\n", 0, index) + 1
    col = index - (text.rfind("\n", 0, index) + 1) + 1
    return f"body line {line}, column {col}"


def _short(text: str, limit: int = 30) -> str:
    text = text.replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def placeholders(body: str) -> list[str]:
    """The placeholder names in ``body``, in order of first use."""
    seen: dict[str, None] = {}
    for part in parse_body(body):
        if isinstance(part, _Slot):
            seen.setdefault(part.name, None)
    return list(seen)


def render(
    template: Template, values: Mapping[str, str] | None = None, text: str | None = None
) -> str:
    """The prompt text: ``template.body`` (or ``text``, its examples) with each ``{field}``
    replaced by its value.

    Values are stripped of surrounding whitespace (a trailing space or newline makes GPT-2 worse);
    a missing or blank value takes the field's default. Values are inserted literally.
    """
    values = values or {}
    declared = {f.name: f for f in template.fields}
    out: list[str] = []
    for part in parse_body(template.body if text is None else text):
        if isinstance(part, str):
            out.append(part)
            continue
        spec = declared.get(part.name)
        if spec is None:
            raise ValueError(f"placeholder {{{part.name}}} has no field")
        value = values.get(part.name)
        text = str(value).strip() if value is not None else ""
        out.append(text if text else spec.default.strip())
    return "".join(out)
