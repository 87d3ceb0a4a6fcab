"""The `quillpen` command whose engine process runs the test hook in its environment.

    python hooked_quillpen.py [quillpen arguments]

Exactly ``tui.cli.main`` (the console script's entry point), except that the engine process is
started through ``tests/support/engine_entry.py``, which first runs the ``file.py:function``
named in ``QUILLPEN_TEST_ENGINE_HOOK`` (the shipped engine runs no such thing).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from models.local import client
from tests.support.engine_entry import ENTRY
from tui.cli import main

client.ENGINE_MODULE = ENTRY

if __name__ == "__main__":
    sys.exit(main())
