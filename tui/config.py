"""Settings from ``config.toml`` in the user config dir; bad input → defaults plus a warning.

Example::

    model = "gpt2"            # catalog name, owner/repo or a .gguf path
    gpu_layers = 0            # or "auto"
    continue_tokens = 60      # length of a Tab continuation
    theme = "textual-dark"    # default: the last one picked from the palette
    autosave_seconds = 0      # 0 = off; the recovery journal runs regardless
    cpu_repack = "auto"       # llama.cpp's AMX/repack buffers: auto (probe once), on, off

    [sampler]
    temperature = 0.8
    top_p = 0.95

    [keymap]                  # binding id = keys
    "editor.continue" = "tab,ctrl+space"
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from models import locations
from models.cpu_probe import CHOICES as CPU_REPACK
from models.sampling import SamplerSettings

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


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
}


def load(path: Path | None = None) -> Settings:
    """Read the config file; every problem becomes a warning and a default."""
    path = path or config_path()
    settings = Settings()
    try:
        raw: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return settings
    except (OSError, UnicodeDecodeError) as exc:
        settings.warnings.append(f"cannot read {path}: {exc}; using defaults")
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
            settings.keymap = {str(k): str(v) for k, v in value.items() if isinstance(v, str)}
        elif key in ("sampler", "keymap"):
            settings.warnings.append(f"{path.name}: {key} must be a table ([{key}]); ignored")
        else:
            settings.warnings.append(f"{path.name}: unknown setting {key!r}; ignored")
    if settings.gpu_layers != "auto" and not isinstance(settings.gpu_layers, int):
        settings.warnings.append(f"{path.name}: gpu_layers must be a number or 'auto'")
        settings.gpu_layers = 0
    if settings.cpu_repack not in CPU_REPACK:
        settings.warnings.append(
            f"{path.name}: cpu_repack must be one of {', '.join(CPU_REPACK)}; using auto"
        )
        settings.cpu_repack = "auto"
    _check_ranges(settings, path.name)
    return settings


# (lowest, highest) allowed; None: no bound on that side.
_RANGES: dict[str, tuple[float | None, float | None]] = {
    "threads": (1, 512),
    "continue_tokens": (1, 512),
    "autosave_seconds": (0, None),
}
_SAMPLER_RANGES: dict[str, tuple[float | None, float | None]] = {
    "temperature": (0, 5),
    "top_k": (0, 50257),
    "top_p": (0, 1),
    "min_p": (0, 1),
    "repeat_penalty": (0.5, 3),
    "repeat_last_n": (0, 1024),
}


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
                f"{name}: {key} = {value:g} must be {_describe(bounds)}; using {shown}"
            )
            setattr(settings, key, default)
    sampler_defaults = SamplerSettings()
    bad: dict[str, Any] = {}
    for key, bounds in _SAMPLER_RANGES.items():
        value = getattr(settings.sampler, key)
        if _out_of_range(value, bounds):
            default = getattr(sampler_defaults, key)
            settings.warnings.append(
                f"{name}: sampler.{key} = {value:g} must be {_describe(bounds)}; using {default:g}"
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
        elif (
            isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        ):
            good[key] = int(value) if key in ("top_k", "repeat_last_n", "seed") else float(value)
        else:
            warnings.append(f"{name}: sampler.{key} must be a (finite) number; ignored")
    return SamplerSettings(**good)
