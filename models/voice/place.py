"""Where a voice lives: its work folder (data, checkpoints) and its entry in the model cache.

The model itself is ``models/NAME/NAME.QUANT.gguf`` like any other, so ``models list`` and
``--model NAME`` find it; ``voice.json`` beside it says what it was trained from.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from models import locations
from models.hub.download import model_path, safe_name

META = "voice.json"


def workdir(name: str) -> Path:
    """Training data, job, checkpoints and the base model's quantized file for the report."""
    path = locations.cache_dir() / "voice" / safe_name(name)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def model_file(name: str, quant: str) -> Path:
    return model_path(name, quant)


def meta_path(name: str) -> Path:
    return locations.models_dir() / safe_name(name) / META


def read_meta(name: str) -> dict[str, Any] | None:
    """The voice's metadata, or None when ``name`` is no voice."""
    path = meta_path(name)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
