"""The `quillpen` command with the engine slowed down, for trials that must kill it mid-stream.

    python slow_quillpen.py [quillpen arguments]

Exactly ``tui.cli.main`` (the console script's entry point), except that ``Engine.stream``
sleeps ``QUILLPEN_TRIAL_PIECE_DELAY`` seconds (default 0.02) after each piece, so a Tab
continuation of a tiny model lasts seconds on any machine instead of a fraction of one.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from models.engine import Engine
from tui.cli import main

DELAY = float(os.environ.get("QUILLPEN_TRIAL_PIECE_DELAY", "0.02"))
_original = Engine.stream


def _slow_stream(self: Engine, *args: Any, **kwargs: Any) -> Iterator[str]:
    for piece in _original(self, *args, **kwargs):
        time.sleep(DELAY)
        yield piece


Engine.stream = _slow_stream  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(main())
