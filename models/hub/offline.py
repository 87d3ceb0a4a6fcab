"""Offline mode for us and for huggingface_hub, without importing either (the app sets it at
start, before the first frame: :mod:`models.hub.download` and its catalog can wait until a
download)."""

from __future__ import annotations

import os
import sys
from typing import Any


def set_offline(offline: bool, *, force: bool = False) -> None:
    """Switch offline mode on (or, with ``force``, off) for us and for huggingface_hub.

    huggingface_hub reads HF_HUB_OFFLINE once, at import: an already-imported copy is kept in
    step too. Its telemetry is always off: a writing tool has nothing to report.
    """
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    if not offline and not force:
        return
    if offline:
        os.environ["HF_HUB_OFFLINE"] = "1"
    else:
        os.environ.pop("HF_HUB_OFFLINE", None)
    constants: Any = sys.modules.get("huggingface_hub.constants")
    if constants is not None:
        constants.HF_HUB_OFFLINE = offline
        constants.HF_HUB_DISABLE_TELEMETRY = True


def is_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}
