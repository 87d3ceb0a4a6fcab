"""Sampler presets with their stop sequences: quillpen's own, and the writer's in
``presets.toml`` beside ``config.toml`` (edited in the app: Ctrl+P → "Presets…").

A table in ``presets.toml`` adds a preset or changes a built-in one::

    [poem]
    temperature = 0.95
    top_p = 0.97
    stop = ["\\n\\n\\n"]

Fields not given keep the built-in (or default) values. A bad table is left out with a warning.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from models import locations
from models.sampling import PRESETS, SamplerSettings

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

EDITABLE = ("temperature", "top_k", "top_p", "min_p", "repeat_penalty")
_INTS = {"top_k", "repeat_last_n", "seed"}


@dataclass(frozen=True)
class Preset:
    name: str
    sampler: SamplerSettings
    stop: tuple[str, ...] = ()


def presets_path() -> Path:
    return locations.config_dir() / "presets.toml"


def _user_tables(path: Path) -> tuple[dict[str, Any], list[str]]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")), []
    except FileNotFoundError:
        return {}, []
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return {}, [f"{path.name}: {exc}; using the built-in presets"]


def load_presets(path: Path | None = None) -> tuple[dict[str, Preset], list[str]]:
    """Every preset by name (built-in ones changed by the file), and what was wrong in it."""
    path = path or presets_path()
    found = {name: Preset(name, sampler) for name, sampler in PRESETS.items()}
    tables, warnings = _user_tables(path)
    known = {f.name for f in fields(SamplerSettings)}
    for name, table in tables.items():
        base = found.get(name, Preset(name, SamplerSettings()))
        if not isinstance(table, dict):
            warnings.append(f"{path.name}: [{name}] must be a table; ignored")
            continue
        stop = table.get("stop", list(base.stop))
        values = {k: v for k, v in table.items() if k != "stop"}
        bad = [k for k, v in values.items() if k not in known or not _number(v)]
        if bad or not (isinstance(stop, list) and all(isinstance(s, str) and s for s in stop)):
            what = f"{bad[0]!r} is not a sampler number" if bad else "stop must list strings"
            warnings.append(f"{path.name}: [{name}]: {what}; ignored")
            continue
        numbers = {k: int(v) if k in _INTS else float(v) for k, v in values.items()}
        found[name] = Preset(name, base.sampler.with_(**numbers), tuple(stop))
    return found, warnings


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def save_preset(preset: Preset, path: Path | None = None) -> None:
    """Write ``preset`` into the file (its other tables kept); raises OSError."""
    from tui.store.files import write_text

    path = path or presets_path()
    tables, _ = _user_tables(path)
    sampler = preset.sampler
    tables[preset.name] = {k: getattr(sampler, k) for k in EDITABLE} | {"stop": list(preset.stop)}
    write_text(path, _to_toml(tables))


def _to_toml(tables: dict[str, Any]) -> str:
    """TOML for tables of numbers and lists of strings (JSON's strings are TOML's)."""
    out = ["# quillpen's sampler presets (Ctrl+P → Presets…); see docs/usage.md", ""]
    for name, table in tables.items():
        if not isinstance(table, dict):
            continue
        out.append(f"[{json.dumps(name, ensure_ascii=False)}]")
        for key, value in table.items():
            if isinstance(value, list):
                rendered = (
                    "[" + ", ".join(json.dumps(str(v), ensure_ascii=False) for v in value) + "]"
                )
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                rendered = repr(value)
            else:
                continue
            out.append(f"{key} = {rendered}")
        out.append("")
    return "\n".join(out)
