"""Settings from ``config.toml`` in the user config dir; bad input → defaults plus a warning.

Example::

    model = "gpt2"            # catalog name, owner/repo or a .gguf path
    gpu_layers = 0            # or "auto"
    continue_tokens = 60      # length of a Tab continuation
    theme = "textual-dark"    # default: the last one picked from the palette
    autosave_seconds = 0      # 0 = off; the recovery journal runs regardless
    cpu_repack = "auto"       # llama.cpp's AMX/repack buffers: auto (probe once), on, off
    bans = ["suddenly"]       # phrases never written (F8 adds a document's own)
    preset = "creative"       # Tab writes with this preset (presets.toml) instead of [sampler]
    engine = "lab"            # a remote engine by default (a name below, or a URL)
    spelling = true           # underline unknown words (F10: suggestions)
    spelling_language = "en"  # en, de, es, fr, it, nl, pt, ru, ar, eu, fa, lv or a .json.gz
    goal = 1000               # words (字 for Chinese) a day; 0 = none

    [sampler]
    temperature = 0.8
    top_p = 0.95

    [keymap]                  # binding id = keys
    "editor.continue" = "tab,ctrl+space"

    [engines.lab]             # docs/remote.md
    url = "https://gpu-box.example.org/v1"
    api_key_env = "QUILLPEN_API_KEY"
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, NamedTuple

from models import locations
from models.sampling import SamplerSettings


class RemoteTarget(NamedTuple):  # (made at import 6x faster than a frozen dataclass)
    """A remote OpenAI-compatible engine (``[engines.NAME]``, or ``--engine URL``)."""

    url: str
    api_key_env: str | None = None
    profile: str | None = None
    model: str | None = None
    context_length: int | None = None
    ca_file: str | None = None


@dataclass
class Settings:
    model: str | None = None
    gpu_layers: int | str = 0
    threads: int | None = None
    continue_tokens: int = 60
    theme: str | None = None
    """None: the theme last picked from the palette (remembered), else textual-dark."""
    autosave_seconds: float = 0.0
    offline: bool = False
    cpu_repack: str = "auto"
    sampler: SamplerSettings = field(default_factory=SamplerSettings)
    keymap: dict[str, str] = field(default_factory=dict)
    bans: tuple[str, ...] = ()
    """Phrases never written in any document (each document adds its own in F8)."""
    preset: str | None = None
    """The preset Tab and F6 write with (presets.toml, or a built-in one); None: ``sampler``."""
    engine: str | None = None
    """The default engine: None (local), a name in ``engines``, or a URL."""
    engines: dict[str, RemoteTarget] = field(default_factory=dict)
    spelling: bool = True
    """Underline unknown words as the writer types (:mod:`tui.spelling`)."""
    spelling_language: str = "en"
    """A dictionary pyspellchecker ships, or a path to a JSON word-frequency file."""
    goal: int = 0
    """Words (字) to write each day in every document; 0: no goal (a document may set one)."""
    warnings: list[str] = field(default_factory=list)


def config_path() -> Path:
    return locations.config_dir() / "config.toml"


_SIMPLE = {
    "model": (str,),
    "gpu_layers": (int, str),
    "threads": (int,),
    "continue_tokens": (int,),
    "theme": (str,),
    "autosave_seconds": (int, float),
    "offline": (bool,),
    "cpu_repack": (str,),
    "engine": (str,),
    "preset": (str,),
    "spelling": (bool,),
    "spelling_language": (str,),
    "goal": (int,),
}
_REMOTE_KEYS = {
    "url": str,
    "api_key_env": str,
    "profile": str,
    "model": str,
    "context_length": int,
    "ca_file": str,
}


MAX_CONFIG = 1024 * 1024
"""Bytes of config.toml read (a real one is a few KB)."""


def load(path: Path | None = None) -> Settings:
    """Read the config file; every problem becomes a warning and a default."""
    path = path or config_path()
    settings = Settings()
    try:
        if path.stat().st_size > MAX_CONFIG:  # (a 50 MB file took tomllib minutes)
            settings.warnings.append(f"{path} is over {MAX_CONFIG >> 10} KB; using defaults")
            return settings
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return settings
    except (OSError, UnicodeDecodeError) as exc:
        settings.warnings.append(f"cannot read {path}: {exc}; using defaults")
        return settings
    if sys.version_info >= (3, 11):  # (imported only when there is a file: launch time)
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        raw: dict[str, Any] = tomllib.loads(text)
    except RecursionError:
        settings.warnings.append(f"{path.name}: nested too deeply; using defaults")
        return settings
    except tomllib.TOMLDecodeError as exc:
        settings.warnings.append(f"{path.name}: {exc}; using defaults")
        return settings
    for key, value in raw.items():
        if key in _SIMPLE:
            if isinstance(value, _SIMPLE[key]) and not (
                isinstance(value, bool) and bool not in _SIMPLE[key]
            ):
                setattr(settings, key, value)
            else:
                settings.warnings.append(f"{path.name}: {key} has the wrong type; ignored")
        elif key == "sampler" and isinstance(value, dict):
            settings.sampler = _sampler(value, settings.warnings, path.name)
        elif key == "keymap" and isinstance(value, dict):
            settings.keymap = _keymap(value, settings.warnings, path.name)
        elif key == "bans" and isinstance(value, list) and all(isinstance(b, str) for b in value):
            settings.bans = tuple(b for b in value if b)
        elif key == "bans":
            settings.warnings.append(f"{path.name}: bans must be a list of strings; ignored")
        elif key == "engines" and isinstance(value, dict):
            settings.engines = _engines(value, settings.warnings, path.name)
        elif key in ("sampler", "keymap", "engines"):
            settings.warnings.append(f"{path.name}: {key} must be a table ([{key}]); ignored")
        else:
            settings.warnings.append(f"{path.name}: unknown setting {key!r}; ignored")
    if settings.gpu_layers not in ("auto", "all") and not isinstance(settings.gpu_layers, int):
        settings.warnings.append(f"{path.name}: gpu_layers must be a number, 'auto' or 'all'")
        settings.gpu_layers = 0
    if settings.cpu_repack != "auto":
        _check_cpu_repack(settings, path.name)
    _check_ranges(settings, path.name)
    return settings


# (lowest, highest) allowed; None: no bound on that side.
_RANGES: dict[str, tuple[float | None, float | None]] = {
    "threads": (1, 512),
    "continue_tokens": (1, 512),
    "autosave_seconds": (0, None),
    "goal": (0, 10_000_000),
}
_SAMPLER_RANGES: dict[str, tuple[float | None, float | None]] = {
    "temperature": (0, 5),
    "top_k": (0, 50257),
    "top_p": (0, 1),
    "min_p": (0, 1),
    "repeat_penalty": (0.5, 3),
    "repeat_last_n": (0, 1024),
}


def _check_cpu_repack(settings: Settings, name: str) -> None:
    from models.local.cpu_probe import CHOICES  # (its imports wait for a cpu_repack setting)

    if settings.cpu_repack not in CHOICES:
        choices = ", ".join(CHOICES)
        settings.warnings.append(f"{name}: cpu_repack must be one of {choices}; using auto")
        settings.cpu_repack = "auto"


def _number(value: float) -> str:
    """``value`` for a message (an integer too big for a float, 10**400, is no traceback)."""
    try:
        return f"{value:g}"
    except OverflowError:
        return "a huge number"


def _out_of_range(value: float, bounds: tuple[float | None, float | None]) -> bool:
    low, high = bounds
    return (low is not None and value < low) or (high is not None and value > high)


def _describe(bounds: tuple[float | None, float | None]) -> str:
    low, high = bounds
    if high is None:
        return f"at least {low:g}"
    return f"between {low:g} and {high:g}"


def _check_ranges(settings: Settings, name: str) -> None:
    """Numbers outside what makes sense get a warning and the default."""
    defaults = Settings()
    for key, bounds in _RANGES.items():
        value = getattr(settings, key)
        if value is not None and _out_of_range(value, bounds):
            default = getattr(defaults, key)
            shown = "its default" if default is None else f"{default:g}"
            settings.warnings.append(
                f"{name}: {key} = {_number(value)} must be {_describe(bounds)}; using {shown}"
            )
            setattr(settings, key, default)
    sampler_defaults = SamplerSettings()
    bad: dict[str, Any] = {}
    for key, bounds in _SAMPLER_RANGES.items():
        value = getattr(settings.sampler, key)
        if _out_of_range(value, bounds):
            default = getattr(sampler_defaults, key)
            settings.warnings.append(
                f"{name}: sampler.{key} = {_number(value)} must be {_describe(bounds)}; "
                f"using {default:g}"
            )
            bad[key] = default
    if bad:
        settings.sampler = settings.sampler.with_(**bad)


def _sampler(raw: dict[str, Any], warnings: list[str], name: str) -> SamplerSettings:
    known = {f.name: f for f in fields(SamplerSettings)}
    good: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known:
            warnings.append(f"{name}: unknown sampler setting {key!r}; ignored")
        elif (isinstance(value, float) and math.isfinite(value)) or (
            isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63
        ):
            good[key] = int(value) if key in ("top_k", "repeat_last_n", "seed") else float(value)
        else:
            warnings.append(f"{name}: sampler.{key} must be a (finite) number; ignored")
    return SamplerSettings(**good)


def _keymap(raw: dict[str, Any], warnings: list[str], name: str) -> dict[str, str]:
    """``[keymap]`` as Textual reads it: ``"tab,ctrl+space"`` or a list of keys; spaces and the
    case of key names do not matter (``"F6"`` is ``f6``)."""
    keymap: dict[str, str] = {}
    for binding_id, value in raw.items():
        if isinstance(value, str):
            keys = value.split(",")
        elif isinstance(value, list) and all(isinstance(k, str) for k in value):
            keys = value
        else:
            warnings.append(
                f'{name}: keymap {binding_id} must be keys as text ("tab,ctrl+space"); ignored'
            )
            continue
        keymap[str(binding_id)] = ",".join(_key_name(k) for k in keys)
    return keymap


def _key_name(key: str) -> str:
    """``" Ctrl+F6 "`` → ``ctrl+f6``: Textual matches key names exactly, in lower case (a bare
    character keeps its case: ``A`` is Shift+A)."""
    *modifiers, name = (part.strip() for part in key.strip().split("+"))
    bare_character = len(name) == 1 and not modifiers
    return "+".join([*(m.lower() for m in modifiers), name if bare_character else name.lower()])


def _engines(raw: dict[str, Any], warnings: list[str], name: str) -> dict[str, RemoteTarget]:
    """``[engines.NAME]`` tables; a bad one is left out with a warning."""
    engines: dict[str, RemoteTarget] = {}
    for engine, table in raw.items():
        where = f"{name}: [engines.{engine}]"
        if not isinstance(table, dict):
            warnings.append(f"{where} must be a table; ignored")
            continue
        unknown = sorted(set(table) - set(_REMOTE_KEYS))
        wrong = [k for k, t in _REMOTE_KEYS.items() if k in table and not isinstance(table[k], t)]
        if unknown or wrong or not isinstance(table.get("url"), str):
            problem = (
                f"unknown key {unknown[0]!r}"
                if unknown
                else f"{wrong[0]} has the wrong type"
                if wrong
                else "needs a url"
            )
            warnings.append(f"{where}: {problem}; ignored")
            continue
        window = table.get("context_length")
        if window is not None and not 1 <= window <= 2**31:
            warnings.append(f"{where}: context_length is out of range; ignored")
            continue
        engines[str(engine)] = RemoteTarget(**table)
    return engines


def unknown_theme(theme: str) -> str:
    """The warning for a ``theme`` Textual does not have."""
    return (
        f"theme {theme!r} is not one of Textual's themes; using textual-dark "
        "(Ctrl+P → 'Change theme' lists them)"
    )


def remote_target(reference: str | None, settings: Settings) -> RemoteTarget | None:
    """The remote engine ``reference`` names (a URL, or a name in ``[engines]``); None: local.

    ``reference`` None means the configured default (``engine = ...``), and ``"local"`` the
    local engine whatever the default.
    """
    reference = reference if reference is not None else settings.engine
    if reference in (None, "", "local"):
        return None
    assert reference is not None
    if "://" in reference:
        return RemoteTarget(url=reference)
    if reference in settings.engines:
        return settings.engines[reference]
    known = ", ".join(sorted(settings.engines)) or "none in config.toml"
    raise ValueError(
        f"unknown engine {reference!r} (a URL such as http://host:8000/v1, or one of: {known})"
    )
