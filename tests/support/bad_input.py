"""Helpers for the bad-input tests (``tests/test_bad_*.py``); not a test module itself.

Bad input of every kind: a clear message, no traceback, nothing lost or corrupted.

Each case feeds quillpen one broken thing (a model file, a checkpoint, a config, a template, a
document, a failing disk or Hub, a hostile prompt or model output) and checks that:

* it fails the clean way: a ``QuillpenError`` (or ``TemplateError``, or a settings warning) from
  the library, exit status 1 with one ``quillpen: ...`` line from the command, a usage error
  from argparse, or, where the input is merely odd, it works and says so in one line;
* the message has words a user understands (what is wrong, and with which file);
* ``Traceback`` appears nowhere;
* the files involved (and the editor's text) are exactly as they were.

Tests may run as root, which reads and writes through any permission bits: where a case needs
an unreadable file or a read-only folder, it makes one for real when it can and otherwise makes
the one system call fail the way the kernel would.

The small byte-level GPT-2 built here backs the ``small_checkpoint``, ``small_gguf`` and
``small_engine`` fixtures of conftest.py.
"""

from __future__ import annotations

import errno
import io
import json
import os
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pytest
from rich.console import Console
from safetensors.numpy import save_file

from tui import cli
from tui.app import QuillpenApp

# Model output that must be shown as text: Rich/Textual markup, a clear-screen CSI, an OSC 52
# clipboard write, a carriage return, a NUL and a bell.
HOSTILE_SHOWN = " [bold]x[/bold] clear osc cr nul [@click=app.quit]q[/]"
CONTROL_CHARS = ("\x1b", "\x00", "\x07", "\r")

# A document's text before a failed save (or a failed model load) that must survive it.
ORIGINAL = "The original, safe on disk.\n"


# -- running the command and checking what it says ----------------------------------------------


class Run(NamedTuple):
    rc: int
    out: str
    err: str


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> Run:
    """`quillpen ARGS` in this process (argparse's exit becomes the status)."""
    capsys.readouterr()
    try:
        rc = cli.main(list(args))
    except SystemExit as exc:
        rc = exc.code if isinstance(exc.code, int) else 1
    captured = capsys.readouterr()
    return Run(rc, captured.out, captured.err)


def assert_one_stderr_line(run: Run, *words: str, rc: int = 1) -> str:
    """Exit ``rc``, no traceback, and one ``quillpen: ...`` line (error or notice) on stderr."""
    assert run.rc == rc, run
    assert "Traceback" not in run.out + run.err
    lines = [line for line in run.err.splitlines() if line.strip()]
    assert len(lines) == 1, run.err
    assert lines[0].startswith("quillpen: "), run.err
    assert_words(lines[0], *words)
    return lines[0]


def assert_words(message: str, *words: str) -> None:
    for word in words:
        assert word.lower() in message.lower(), f"{word!r} not in {message!r}"
    assert "Traceback" not in message


# -- files left as they were, and files that cannot be read or written --------------------------


def _content(path: Path) -> bytes | None:
    """The bytes of a regular file (None for anything else), by stat when it cannot be read."""
    if not path.is_file():
        return None
    try:
        with open(path, "rb") as fh:  # the builtin: Path.open may be made to fail
            return fh.read()
    except PermissionError:
        st = path.stat()
        return f"unreadable {st.st_size} {st.st_mtime_ns} {st.st_mode}".encode()


def snapshot(path: Path) -> dict[str, bytes | None]:
    """``path`` and everything under it, with the bytes of each file."""
    found = {str(path): _content(path)}
    if path.is_dir():
        found |= {str(p): _content(p) for p in sorted(path.rglob("*"))}
    return found


def make_unreadable(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """chmod 000; as root (which reads anyway) opening ``path`` fails as it would for a user."""
    path.chmod(0)
    try:
        path.open("rb").close()
    except PermissionError:
        return
    real_open = Path.open

    def open_(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self == path:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", open_)


def can_make_read_only(folder: Path) -> bool:
    """chmod 555 really blocks creating files here (not as root)."""
    folder.chmod(0o555)
    probe = folder / ".probe"
    try:
        probe.touch()
    except PermissionError:
        return True
    probe.unlink()
    folder.chmod(0o755)
    return False


# -- what the app puts on the terminal ----------------------------------------------------------


def screen_output(app: QuillpenApp) -> str:
    """What the app writes to the terminal for a full redraw, escape sequences and all."""
    console = Console(
        file=io.StringIO(), force_terminal=True, color_system="truecolor", width=app.size.width
    )
    console.print(app.screen._compositor.render_update(full=True))
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert isinstance(out, str)
    return out


# -- a small GPT-2 (byte-level vocabulary): it converts and loads in a fraction of a second -----

SMALL_CTX = 64


def byte_tokens() -> list[str]:
    """GPT-2's 256 byte tokens, in its id order."""
    byte_values = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAD), *range(0xAE, 0x100)]
    chars = list(byte_values)
    extra = 0
    for b in range(256):
        if b not in byte_values:
            byte_values.append(b)
            chars.append(256 + extra)
            extra += 1
    return [chr(c) for c in chars]


def make_small_checkpoint(dest: Path, n_embd: int = 16, n_head: int = 2) -> Path:
    """A 1-layer GPT-2 in the Hub's layout with a 259-token vocabulary (not 50257)."""
    dest.mkdir(parents=True)
    tokens = [*byte_tokens(), "\u0120t", "he", "<|endoftext|>"]
    rng = np.random.default_rng(0)

    def w(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) * 0.1).astype(np.float32)

    e = n_embd
    tensors = {
        "wte.weight": w(len(tokens), e),
        "wpe.weight": w(SMALL_CTX, e),
        "ln_f.weight": 1 + w(e),
        "ln_f.bias": w(e),
        "h.0.ln_1.weight": 1 + w(e),
        "h.0.ln_1.bias": w(e),
        "h.0.attn.c_attn.weight": w(e, 3 * e),
        "h.0.attn.c_attn.bias": w(3 * e),
        "h.0.attn.c_proj.weight": w(e, e),
        "h.0.attn.c_proj.bias": w(e),
        "h.0.ln_2.weight": 1 + w(e),
        "h.0.ln_2.bias": w(e),
        "h.0.mlp.c_fc.weight": w(e, 4 * e),
        "h.0.mlp.c_fc.bias": w(4 * e),
        "h.0.mlp.c_proj.weight": w(4 * e, e),
        "h.0.mlp.c_proj.bias": w(e),
    }
    save_file(tensors, str(dest / "model.safetensors"))
    config = {
        "model_type": "gpt2",
        "vocab_size": len(tokens),
        "n_positions": SMALL_CTX,
        "n_embd": e,
        "n_layer": 1,
        "n_head": n_head,
    }
    (dest / "config.json").write_text(json.dumps(config))
    (dest / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(tokens)}))
    (dest / "merges.txt").write_text("#version: 0.2\n\u0120 t\nh e\n")
    return dest
