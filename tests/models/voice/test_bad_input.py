"""Each mistake gets one clear line, no traceback, and nothing is lost."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.voice import cli_env, quillpen, write_poems


def _one_clear_line(stderr: str, needle: str) -> None:
    assert "Traceback" not in stderr, stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("quillpen: ") and needle in last, stderr


@pytest.mark.parametrize(
    ("make", "args", "needle"),
    [
        (lambda d: (d / "a.txt").write_text("\n \n"), (), "the corpus is empty"),
        (lambda d: (d / "a.txt").write_bytes(b"GIF89a\0\0\1"), (), "a binary file"),
        (lambda d: write_poems(d, files=1, poems=2), ("--holdout", "0.9"), "leaves nothing"),
        (lambda d: write_poems(d, files=1, poems=2), (), "shorter than one window"),
        (lambda d: write_poems(d, files=1), ("--base", "/no/such/model"), "no such folder"),
        (lambda d: write_poems(d, files=1), ("--base", "gpt7"), "not a catalog name"),
    ],
)
def test_bad_input(voice_base: Path, tmp_path: Path, make, args, needle: str) -> None:  # type: ignore[no-untyped-def]
    texts = tmp_path / "texts"
    texts.mkdir()
    make(texts)
    before = {p: p.read_bytes() for p in texts.iterdir()}
    done = quillpen(tmp_path, "voice", "train", "v", str(texts), "--base", str(voice_base), *args)
    assert done.returncode == 1
    _one_clear_line(done.stderr, needle)
    assert {p: p.read_bytes() for p in texts.iterdir()} == before


def test_a_full_disk(voice_base: Path, tmp_path: Path) -> None:
    """The process may write 2 MB per file (RLIMIT_FSIZE): the base model's file cannot be
    written, which is what a full disk does to it."""
    texts = write_poems(tmp_path / "texts", files=1)

    limited = (  # the limit is set in a fresh interpreter that then runs quillpen
        "import os, resource, sys; "
        "resource.setrlimit(resource.RLIMIT_FSIZE, (2_000_000, 2_000_000)); "
        "os.execv(sys.executable, [sys.executable, '-m', 'tui.cli', *sys.argv[1:]])"
    )
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            limited,
            "voice",
            "train",
            "v",
            str(texts),
            "--base",
            str(voice_base),
            "--quant",
            "F32",
        ],
        env=cli_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    _one_clear_line(done.stderr, "is the disk full?")
    assert not list((tmp_path / "cache").rglob("*.partial")), "a partial file was left"
    assert not list((tmp_path / "cache").rglob("*.gguf"))


def test_without_the_extra_one_line_names_the_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from tui.cli import main

    monkeypatch.setitem(sys.modules, "jax", None)  # as if JAX were not installed
    assert main(["voice", "train", "v", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "uv sync --extra voice" in err


def test_a_checkpoint_on_a_full_disk_keeps_the_previous_one(tmp_path: Path) -> None:
    """The disk fills between two checkpoints: one clear error, and the last good one stays."""
    import numpy as np

    from models.voice import state

    state.save(tmp_path, "last", [np.arange(10, dtype=np.float32)], {"step": 5})
    code = (
        "import resource, sys, numpy as np\n"
        "from pathlib import Path\n"
        "from models.errors import QuillpenError\n"
        "from models.voice import state\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))\n"
        "try:\n"
        f"    state.save(Path({str(tmp_path)!r}), 'last', [np.zeros(100_000, np.float32)], "
        "{'step': 9})\n"
        "except QuillpenError as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "is the disk full?" in done.stdout and "previous checkpoint is kept" in done.stdout
    saved = state.load(tmp_path, "last")
    assert saved is not None and saved[1]["step"] == 5
    assert saved[0][0].tolist() == list(range(10))
    assert not list(tmp_path.glob("*.partial"))
