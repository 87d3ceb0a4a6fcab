"""Where quillpen keeps its files (platformdirs: XDG on Linux).

Every directory is created on first use with user-only permissions (0700).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import platformdirs

APP_NAME = "quillpen"


def _private_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _tightened(path: Path) -> Path:
    """A private folder that an older version (or a umask) left readable by others: 0700."""
    with contextlib.suppress(OSError):
        if path.stat().st_mode & 0o077:
            path.chmod(0o700)
    return path


def private_file(path: Path) -> Path:
    """``path``, created empty if missing, readable by its owner only (logs: they may quote
    what a server sent)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    return path


def cache_dir() -> Path:
    """Downloaded weights and converted GGUF files."""
    return _private_dir(Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)))


def models_dir() -> Path:
    """Ready-to-load GGUF files, one folder per model name."""
    return _private_dir(cache_dir() / "models")


def hub_dir() -> Path:
    """huggingface_hub's own cache, kept inside ours so nothing is written elsewhere."""
    return _private_dir(cache_dir() / "hub")


def config_dir() -> Path:
    """config.toml and user templates."""
    return _private_dir(Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)))


def data_dir() -> Path:
    """Chat histories, notes, the writer's dictionary, recent files, word goals."""
    return _private_dir(Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)))


def state_dir() -> Path:
    """Recovery journals of unsaved documents."""
    return _tightened(_private_dir(Path(platformdirs.user_state_dir(APP_NAME, appauthor=False))))


def describe() -> dict[str, str]:
    """The paths, for `quillpen doctor` and the docs (does not create anything)."""
    return {
        "cache": platformdirs.user_cache_dir(APP_NAME, appauthor=False),
        "config": platformdirs.user_config_dir(APP_NAME, appauthor=False),
        "data": platformdirs.user_data_dir(APP_NAME, appauthor=False),
        "state": platformdirs.user_state_dir(APP_NAME, appauthor=False),
        "HF_ENDPOINT": os.environ.get("HF_ENDPOINT", "https://huggingface.co"),
    }
