"""Running quillpen from a folder that holds its own ``models/`` package runs none of its code.

Django and ML projects often have a ``models/`` package; ``python -m models.x`` in such a folder
would import it instead of ours. Each child (pull's convert step, the engine process, the CPU
probe) is started there, with a ``models/__init__.py`` that writes a marker file, and with an
empty ``models/`` package (which would break them with "No module named ...").
"""

from __future__ import annotations

from pathlib import Path

import pytest

from models.child_python import module_argv
from models.engine_client import ModelLoaded
from models.hub import child_job
from models.local import cpu_probe
from models.local.client import LocalEngine
from tests.support.engine_events import Events


@pytest.fixture(params=["marker", "empty"])
def hostile_folder(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """The working folder, with a ``models`` package of its own; returns the marker's path."""
    work = tmp_path / "project"
    package = work / "models"
    package.mkdir(parents=True)
    marker = tmp_path / "hijacked"
    body = f"open({str(marker)!r}, 'w').write('ran')\n" if request.param == "marker" else ""
    (package / "__init__.py").write_text(body)
    for sub in ("hub", "local"):  # the sub-packages too, so a hijack would go all the way
        (package / sub).mkdir()
        (package / sub / "__init__.py").write_text(body)
    monkeypatch.chdir(work)
    monkeypatch.delenv("PYTHONSAFEPATH", raising=False)
    return marker


def test_the_command_line_drops_the_current_folder() -> None:
    argv = module_argv("models.local.process")
    assert "-m" not in argv
    assert "-c" in argv


def test_pulls_convert_step_runs_none_of_the_folders_code(
    hostile_folder: Path, tiny_checkpoint: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out.Q8_0.gguf"
    child_job.run("convert", out=out, src=tiny_checkpoint, type="q8_0")
    assert out.read_bytes()[:4] == b"GGUF"
    assert not hostile_folder.exists()


def test_the_engine_process_runs_none_of_the_folders_code(
    hostile_folder: Path, tiny_gguf: Path
) -> None:
    events = Events()
    engine = LocalEngine(events)
    try:
        engine.load(tiny_gguf, threads=1)
        events.wait_for(ModelLoaded)
    finally:
        engine.close()
    assert not hostile_folder.exists()


def test_the_cpu_probe_runs_none_of_the_folders_code(hostile_folder: Path) -> None:
    ok, detail = cpu_probe.run_probe()
    assert ok is not None or "No module named" not in detail, detail
    assert "No module named" not in detail
    assert not hostile_folder.exists()


def test_the_shipped_engine_runs_no_code_named_in_its_environment(
    tiny_gguf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``QUILLPEN_TEST_ENGINE_HOOK`` is the tests' business (tests/support/engine_entry.py)."""
    marker = tmp_path / "hook-ran"
    hook = tmp_path / "hook.py"
    hook.write_text(f"def go() -> None:\n    open({str(marker)!r}, 'w').write('ran')\n")
    monkeypatch.setenv("QUILLPEN_TEST_ENGINE_HOOK", f"{hook}:go")
    events = Events()
    engine = LocalEngine(events)
    try:
        engine.load(tiny_gguf, threads=1)
        events.wait_for(ModelLoaded)
    finally:
        engine.close()
    assert not marker.exists()
