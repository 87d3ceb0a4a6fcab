"""The `quillpen` command with the engine slowed down, for trials that must kill it mid-stream.

    python slow_quillpen.py [quillpen arguments]

Exactly ``tui.cli.main`` (the console script's entry point), except that the engine process
sleeps ``QUILLPEN_TRIAL_PIECE_DELAY`` seconds (default 0.02) after each piece (the ``slow`` hook
of ``tests/support/engine_hooks.py``), so a Tab continuation of a tiny model lasts seconds on any
machine instead of a fraction of one.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS.parent))

from models.local import client  # noqa: E402
from tests.support.engine_entry import ENTRY  # noqa: E402
from tests.support.engine_hooks import HOOK_ENV, spec  # noqa: E402
from tui.cli import main  # noqa: E402

os.environ[HOOK_ENV] = spec("slow")
client.ENGINE_MODULE = ENTRY

if __name__ == "__main__":
    sys.exit(main())
