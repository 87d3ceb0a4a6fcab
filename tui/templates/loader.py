"""Loading templates from TOML: the built-in ones shipped here, and the user's own, validated."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

from models.sampling import PRESETS
from tui.templates.template import NAME_RE, Field, Template, TemplateError, placeholders

BUILTIN_DIR = Path(__file__).resolve().parent
CATEGORIES: tuple[str, ...] = ("story", "poem", "script", "prose", "study", "中文")
"""The known categories, in display order; other category names are allowed and listed after."""

MAX_FILE_BYTES = 256 * 1024
MAX_TOKENS_LIMIT = 1024  # GPT-2's whole context window

_TOP_REQUIRED = ("title", "description", "category", "preset", "max_tokens", "body")
_TOP_OPTIONAL = ("stop", "fields", "language", "model", "line_form", "examples")
_FIELD_REQUIRED = ("name",)
_FIELD_OPTIONAL = ("label", "default", "multiline")


def _type_name(value: object) -> str:
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "a table",
    }.get(type(value), type(value).__name__)


def _check_keys(
    data: Mapping[str, Any], required: Iterable[str], optional: Iterable[str], where: str
) -> None:
    required = tuple(required)
    allowed = set(required) | set(optional)
    unknown = sorted(k for k in data if k not in allowed)
    if unknown:
        raise ValueError(
            f"unknown key{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}"
            f"{where} (allowed: {', '.join(sorted(allowed))})"
        )
    missing = [k for k in required if k not in data]
    if missing:
        raise ValueError(
            f"missing key{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}{where}"
        )


def _want_str(value: object, key: str, *, nonempty: bool = False) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{key!r} must be a string, not {_type_name(value)}")
    if nonempty and not value.strip():
        raise ValueError(f"{key!r} must not be empty")
    return value


def _parse_field(raw: object, index: int) -> Field:
    where = f" in fields[{index}]"
    if not isinstance(raw, dict):
        raise ValueError(f"fields[{index}] must be a table, not {_type_name(raw)}")
    _check_keys(raw, _FIELD_REQUIRED, _FIELD_OPTIONAL, where)
    name = raw["name"]
    if not isinstance(name, str):
        raise ValueError(f"'name'{where} must be a string, not {_type_name(name)}")
    if not NAME_RE.match(name):
        raise ValueError(
            f"bad field name {name!r}{where} (use lowercase letters, digits and _, "
            "not starting with a digit)"
        )
    if name.startswith("__"):
        raise ValueError(f"bad field name {name!r}{where} (names may not start with '__')")
    label = raw.get("label", name.replace("_", " ").capitalize())
    default = raw.get("default", "")
    multiline = raw.get("multiline", False)
    for key, value in (("label", label), ("default", default)):
        if not isinstance(value, str):
            raise ValueError(f"{key!r}{where} must be a string, not {_type_name(value)}")
    if not isinstance(multiline, bool):
        raise ValueError(f"'multiline'{where} must be true or false, not {_type_name(multiline)}")
    return Field(name=name, label=label, default=default, multiline=multiline)


def _from_data(data: dict[str, Any], source: Path, builtin: bool) -> Template:
    _check_keys(data, _TOP_REQUIRED, _TOP_OPTIONAL, "")
    title = _want_str(data["title"], "title", nonempty=True).strip()
    description = _want_str(data["description"], "description").strip()
    category = _want_str(data["category"], "category", nonempty=True).strip().lower()
    preset = _want_str(data["preset"], "preset", nonempty=True)
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r} (choose from {', '.join(PRESETS)})")
    max_tokens = data["max_tokens"]
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int):
        raise ValueError(f"'max_tokens' must be an integer, not {_type_name(max_tokens)}")
    if not 1 <= max_tokens <= MAX_TOKENS_LIMIT:
        raise ValueError(f"'max_tokens' must be between 1 and {MAX_TOKENS_LIMIT}")
    stop = data.get("stop", [])
    if not isinstance(stop, list) or not all(isinstance(s, str) and s for s in stop):
        raise ValueError("'stop' must be an array of non-empty strings")
    body = _want_str(data["body"], "body", nonempty=True)
    language = _want_str(data.get("language", "en"), "language", nonempty=True).strip().lower()
    model = data.get("model")
    if model is not None:
        model = _want_str(model, "model", nonempty=True).strip()
    line_form = _want_str(data.get("line_form", "prose"), "line_form")
    if line_form not in ("prose", "verse"):
        raise ValueError(f'\'line_form\' must be "prose" or "verse", not {line_form!r}')
    raw_fields = data.get("fields", [])
    if not isinstance(raw_fields, list):
        raise ValueError(
            f"'fields' must be an array of tables ([[fields]]), not {_type_name(raw_fields)}"
        )
    fields = [_parse_field(raw, i) for i, raw in enumerate(raw_fields)]
    names = [f.name for f in fields]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"duplicate field name {', '.join(map(repr, duplicates))}")
    examples = _want_str(data.get("examples", ""), "examples")
    used = placeholders(body + examples)  # raises ValueError on an invalid placeholder
    undeclared = [n for n in used if n not in names]
    if undeclared:
        raise ValueError(
            f"placeholder {', '.join('{' + n + '}' for n in undeclared)} has no field "
            "(add a [[fields]] entry with that name, or write {{ and }} for literal braces)"
        )
    return Template(
        title=title,
        description=description,
        category=category,
        preset=preset,
        max_tokens=max_tokens,
        stop=list(stop),
        body=body,
        fields=fields,
        source=source,
        builtin=builtin,
        language=language,
        model=model,
        line_form=line_form,
        examples=examples,
    )


def load_file(path: Path, *, builtin: bool = False) -> Template:
    """Load one template file; raise :class:`TemplateError` with a clear reason."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise TemplateError(path, f"file is too large ({size} bytes; limit 256 KiB)")
        raw = path.read_bytes()
    except OSError as exc:
        raise TemplateError(path, f"cannot read file: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TemplateError(path, f"not UTF-8 text (byte {exc.start})") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        reason = str(exc)
        if "line" not in reason:  # "(at end of document)": say which line that is
            reason += f" (line {text.count(chr(10)) + 1})"
        raise TemplateError(path, f"TOML syntax error: {reason}") from exc
    try:
        return _from_data(data, path, builtin)
    except ValueError as exc:
        raise TemplateError(path, str(exc)) from exc


def _sort_key(template: Template) -> tuple[int, str, str]:
    try:
        rank = CATEGORIES.index(template.category)
    except ValueError:
        rank = len(CATEGORIES)
    return (rank, template.category, template.title.casefold())


def load_builtin() -> list[Template]:
    """The templates shipped with quillpen, ordered by category then title.

    A broken built-in is a bug in quillpen, so this raises :class:`TemplateError`.
    """
    templates = [load_file(p, builtin=True) for p in sorted(BUILTIN_DIR.glob("*.toml"))]
    return sorted(templates, key=_sort_key)


def user_dir() -> Path:
    """Where user templates are read from (not created)."""
    from models.locations import config_dir

    return config_dir() / "templates"


def load_user(folder: Path | None = None) -> tuple[list[Template], list[TemplateError]]:
    """Every ``*.toml`` in ``folder`` (default :func:`user_dir`): the good ones and the errors.

    Never raises for a bad file; a missing folder simply has no templates.
    """
    folder = user_dir() if folder is None else folder
    if not folder.exists():
        return [], []
    if not folder.is_dir():
        return [], [TemplateError(folder, "is not a folder")]
    templates: list[Template] = []
    errors: list[TemplateError] = []
    try:
        paths = sorted(p for p in folder.iterdir() if p.suffix == ".toml")
    except OSError as exc:
        return [], [TemplateError(folder, f"cannot list folder: {exc.strerror or exc}")]
    for path in paths:
        try:
            templates.append(load_file(path, builtin=False))
        except TemplateError as exc:
            errors.append(exc)
        except Exception as exc:  # never let one odd file take the others down
            errors.append(TemplateError(path, f"unexpected error: {exc}"))
    return sorted(templates, key=_sort_key), errors


def load_all(folder: Path | None = None) -> tuple[list[Template], list[TemplateError]]:
    """Built-ins then user templates (each sorted by category and title), and the user errors."""
    user, errors = load_user(folder)
    return load_builtin() + user, errors
