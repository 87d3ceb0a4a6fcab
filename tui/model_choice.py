"""Which model file to load for a reference (``--model``, the config, a template's ``model``)."""

from __future__ import annotations

from pathlib import Path

from models.errors import QuillpenError
from models.hub import cache as store
from models.hub.catalog import DEFAULT_MODEL

NOTHING_YET = (
    "No model downloaded yet. Press F5 to get GPT-2 (or run `quillpen models pull`). "
    "Editing and saving work meanwhile."
)


def find_model(reference: str | None) -> tuple[Path | None, str]:
    """``(path, "")`` for a model already on disk (no download), else ``(None, why)``."""
    try:
        return store.resolve(reference or DEFAULT_MODEL), ""
    except QuillpenError as exc:
        return None, str(exc) if reference else NOTHING_YET
