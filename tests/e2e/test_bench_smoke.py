"""The terminal benchmark runs end to end (tiny model, one round); its numbers are bench's job."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.tmux import needs_tmux

pytestmark = [pytest.mark.e2e, needs_tmux]
BENCH = Path(__file__).resolve().parents[2] / "bench" / "terminal.py"


def test_terminal_benchmark_quick_run() -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--json"],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip(), proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["app_tok_s"] > 0 and result["bare_tok_s"] > 0 and result["stream_ratio"] > 0, (
        result,
        proc.stderr[-2000:],
    )
    # (A quick stream may end before the typed keys land: then no echo while streaming.)
    echo = result["echo_p95_ms"]
    assert (echo > 0 or math.isnan(echo)) and result["launch_s"] > 0 and result["rss_mb"] > 0
    assert "outlived its terminal" not in proc.stderr
