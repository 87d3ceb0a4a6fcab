"""Settings from ``config.toml`` in the user config dir; bad input → defaults plus a warning.

Example::

    model = "gpt2"            # catalog name, owner/repo or a .gguf path
    gpu_layers = 0            # or "auto"
    continue_tokens = 60      # length of a Tab continuation
    theme = "textual-dark"
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
    theme: str = "textual-dark"
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
    settings.continue_tokens = max(1, min(int(settings.continue_tokens), 512))
    return settings


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
