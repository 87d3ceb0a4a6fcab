"""Bad input of every kind: a clear message, no traceback, nothing lost or corrupted.

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
"""

from __future__ import annotations

import errno
import io
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import engine_hooks
import gguf
import numpy as np
import pytest
import test_hub
from helpers import continued, wait_until
from rich.console import Console
from safetensors.numpy import load_file, save_file
from test_hub import (
    CATALOG_REPO,
    GGUF_FILE,
    GGUF_REPO,
    WEIGHTS,
    assert_nothing_complete,
)
from textual.content import Content

from models import engine as engine_mod
from models.convert import convert
from models.engine import Engine
from models.errors import QuillpenError
from models.gguf_info import read_info
from tui import cli
from tui import config as config_mod
from tui import document as docs
from tui.app import QuillpenApp
from tui.config import Settings
from tui.document import Document, NotUtf8
from tui.templates import TemplateError, load_user, user_dir

ROOT = Path(__file__).resolve().parents[1]

# The loopback fake Hub of test_hub.py, reused here (pytest finds fixtures by module attribute).
fake_hub = test_hub.fake_hub
sleeps = test_hub.sleeps
official_files = test_hub.official_files
gguf_bytes = test_hub.gguf_bytes

# Model output that must be shown as text: Rich/Textual markup, a clear-screen CSI, an OSC 52
# clipboard write, a carriage return, a NUL and a bell.
HOSTILE_SHOWN = " [bold]x[/bold] clear osc cr nul [@click=app.quit]q[/]"
CONTROL_CHARS = ("\x1b", "\x00", "\x07", "\r")
GPU_LAYERS_HELP = "number of layers or 'auto'"


# -- helpers ------------------------------------------------------------------------------------


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


def screen_output(app: QuillpenApp) -> str:
    """What the app writes to the terminal for a full redraw, escape sequences and all."""
    console = Console(
        file=io.StringIO(), force_terminal=True, color_system="truecolor", width=app.size.width
    )
    console.print(app.screen._compositor.render_update(full=True))
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert isinstance(out, str)
    return out


def hostile_stream(self: Engine, *args: Any, **kwargs: Any) -> Iterator[str]:
    yield from engine_hooks.HOSTILE_PIECES


# -- a small GPT-2 (byte-level vocabulary): it converts and loads in a fraction of a second ----

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


@pytest.fixture(scope="module")
def small_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_small_checkpoint(tmp_path_factory.mktemp("small") / "small-gpt2")


@pytest.fixture(scope="module")
def small_gguf(small_checkpoint: Path) -> Path:
    return convert(small_checkpoint, small_checkpoint.parent / "small.F32.gguf", "f32")


@pytest.fixture(scope="module")
def small_engine(small_gguf: Path) -> Iterator[Engine]:
    engine = Engine.load(small_gguf)
    yield engine
    engine.close()


# -- broken model files -------------------------------------------------------------------------


def rewrite_gguf(src: Path, dst: Path, *, drop: str = "", halve: str = "", kv: bool = True) -> Path:
    """Copy a GPT-2 GGUF, leaving out tensor ``drop``, half the rows of ``halve``, or its KVs."""
    reader = gguf.GGUFReader(src)
    writer = gguf.GGUFWriter(str(dst), "gpt2")
    for name, field in reader.fields.items():
        if name.startswith("GGUF.") or name == "general.architecture":
            continue
        if not kv and not name.startswith("general."):
            continue
        vtype = field.types[0]
        sub = field.types[1] if vtype == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(name, field.contents(), vtype, sub_type=sub)
    plain = (gguf.GGMLQuantizationType.F32, gguf.GGMLQuantizationType.F16)
    for tensor in reader.tensors:
        if tensor.name == drop:
            continue
        data = np.array(tensor.data)
        if tensor.name == halve:
            data = data[: data.shape[0] // 2]
        raw = None if tensor.tensor_type in plain else tensor.tensor_type
        writer.add_tensor(tensor.name, data, raw_dtype=raw)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return dst


@pytest.fixture(scope="module")
def broken_models(small_gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Model files that are wrong in one way each."""
    d = tmp_path_factory.mktemp("broken-models")
    data = small_gguf.read_bytes()
    files: dict[str, Path] = {}

    def put(name: str, content: bytes) -> None:
        files[name] = d / f"{name}.gguf"
        files[name].write_bytes(content)

    put("empty", b"")
    put("random-bytes", os.urandom(64 * 1024))
    put("truncated-header", data[:200])
    put("truncated-data", data[:-100])  # the header is whole; the last tensor is not
    put("gguf-magic-then-garbage", b"GGUF" + os.urandom(4096))
    llama = gguf.GGUFWriter(str(d / "llama-arch.gguf"), "llama")
    llama.add_name("not-gpt2")
    llama.add_context_length(64)
    llama.add_tensor("token_embd.weight", np.zeros((8, 4), np.float32))
    llama.add_tensor("output_norm.weight", np.ones(4, np.float32))
    llama.write_header_to_file()
    llama.write_kv_data_to_file()
    llama.write_tensors_to_file()
    llama.close()
    files["llama-arch"] = d / "llama-arch.gguf"
    files["gpt2-without-hyperparameters"] = rewrite_gguf(small_gguf, d / "nohp.gguf", kv=False)
    files["gpt2-missing-tensor"] = rewrite_gguf(
        small_gguf, d / "missing.gguf", drop="output_norm.bias"
    )
    files["gpt2-wrong-shape"] = rewrite_gguf(
        small_gguf, d / "shape.gguf", halve="position_embd.weight"
    )
    (d / "folder.gguf").mkdir()
    files["directory-named-gguf"] = d / "folder.gguf"
    return files


def _model(name: str) -> Callable[[Path, dict[str, Path], pytest.MonkeyPatch], Path]:
    return lambda tmp, broken, mp: broken[name]


def _missing_model(tmp: Path, broken: dict[str, Path], mp: pytest.MonkeyPatch) -> Path:
    return tmp / "nowhere" / "gone.gguf"


def _unreadable_model(tmp: Path, broken: dict[str, Path], mp: pytest.MonkeyPatch) -> Path:
    path = tmp / "locked.gguf"
    shutil.copyfile(broken["truncated-header"], path)  # never read: opening it fails first
    make_unreadable(path, mp)
    return path


MODEL_CASES = [
    ("empty-file", _model("empty"), ("empty.gguf", "empty")),
    ("missing-file", _missing_model, ("gone.gguf", "no such model file")),
    ("random-bytes", _model("random-bytes"), ("random-bytes.gguf", "not a GGUF")),
    ("truncated-header", _model("truncated-header"), ("damaged or truncated",)),
    ("truncated-data", _model("truncated-data"), ("truncated",)),
    ("magic-then-garbage", _model("gguf-magic-then-garbage"), ("damaged or truncated",)),
    ("other-architecture", _model("llama-arch"), ("architecture 'llama'", "GPT-2")),
    ("directory", _model("directory-named-gguf"), ("folder.gguf", "is a directory")),
    ("unreadable", _unreadable_model, ("locked.gguf", "permission denied")),
    (
        "no-hyperparameters",
        _model("gpt2-without-hyperparameters"),
        ("could not load", "key not found in model: gpt2."),
    ),
    ("missing-tensor", _model("gpt2-missing-tensor"), ("output_norm.bias", "not found")),
    ("wrong-tensor-shape", _model("gpt2-wrong-shape"), ("position_embd.weight", "wrong shape")),
]


@pytest.mark.parametrize(
    ("make", "words"), [c[1:] for c in MODEL_CASES], ids=[c[0] for c in MODEL_CASES]
)
def test_bad_model_file(
    make: Callable[[Path, dict[str, Path], pytest.MonkeyPatch], Path],
    words: tuple[str, ...],
    broken_models: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = make(tmp_path, broken_models, monkeypatch)
    before = snapshot(path)
    with pytest.raises(QuillpenError) as caught:
        Engine.load(path)
    assert_words(str(caught.value), *words)
    run = run_cli(capsys, "generate", "--model", str(path), "--max-tokens", "2", "hi")
    line = assert_one_stderr_line(run, *words)
    assert run.out == ""
    assert line == f"quillpen: {caught.value}"
    assert snapshot(path) == before


@pytest.mark.parametrize("name", ["truncated-data", "llama-arch", "gpt2-missing-tensor"])
def test_bad_model_file_in_a_real_process(name: str, broken_models: dict[str, Path]) -> None:
    """llama.cpp neither aborts the process nor adds its own lines to our one line."""
    proc = subprocess.run(
        [sys.executable, "-m", "tui.cli", "generate", "--model", str(broken_models[name]), "hi"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert_one_stderr_line(Run(proc.returncode, proc.stdout, proc.stderr), broken_models[name].name)
    assert "llama_" not in proc.stderr


# -- broken checkpoints ------------------------------------------------------------------------


def _drop_tensor(src: Path) -> None:
    tensors = load_file(str(src / "model.safetensors"))
    del tensors["h.0.mlp.c_fc.weight"]
    save_file(tensors, str(src / "model.safetensors"))


def _wrong_shape(src: Path) -> None:
    tensors = load_file(str(src / "model.safetensors"))
    tensors["h.0.attn.c_proj.weight"] = tensors["h.0.attn.c_proj.weight"][:8].copy()
    save_file(tensors, str(src / "model.safetensors"))


def _edit_config(**changes: Any) -> Callable[[Path], None]:
    def edit(src: Path) -> None:
        config = json.loads((src / "config.json").read_text())
        config.update(changes)
        for key in [k for k, v in config.items() if v is None]:
            del config[key]
        (src / "config.json").write_text(json.dumps(config))

    return edit


def _write(name: str, data: bytes) -> Callable[[Path], None]:
    return lambda src: (src / name).write_bytes(data)


def _remove(name: str) -> Callable[[Path], None]:
    return lambda src: (src / name).unlink()


CHECKPOINT_CASES = [
    ("missing-tensor", _drop_tensor, ("missing tensors", "h.0.mlp.c_fc.weight")),
    ("wrong-shape", _wrong_shape, ("h.0.attn.c_proj.weight", "shape [8, 16]")),
    ("config-not-gpt2", _edit_config(model_type="llama"), ("model_type is 'llama'", "GPT-2")),
    ("config-invalid-json", _write("config.json", b'{"model_type": "gpt2",'), ("not valid JSON",)),
    ("config-not-utf8", _write("config.json", b"\xff\xfe{}"), ("not valid JSON",)),
    ("config-missing-key", _edit_config(n_layer=None), ("config.json lacks", "n_layer")),
    ("config-missing", _remove("config.json"), ("no config.json",)),
    ("missing-merges", _remove("merges.txt"), ("missing tokenizer file merges.txt",)),
    ("missing-vocab", _remove("vocab.json"), ("missing tokenizer file vocab.json",)),
    ("weights-random-bytes", _write("model.safetensors", os.urandom(4096)), ("cannot read",)),
    ("weights-missing", _remove("model.safetensors"), ("no model.safetensors",)),
]


@pytest.mark.parametrize(
    ("damage", "words"), [c[1:] for c in CHECKPOINT_CASES], ids=[c[0] for c in CHECKPOINT_CASES]
)
def test_bad_checkpoint(
    damage: Callable[[Path], None],
    words: tuple[str, ...],
    small_checkpoint: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    src = tmp_path / "ckpt"
    shutil.copytree(small_checkpoint, src)
    damage(src)
    before = snapshot(src)
    out = tmp_path / "out" / "model.gguf"
    with pytest.raises(QuillpenError) as caught:
        convert(src, out, "q8_0")
    assert_words(str(caught.value), *words)
    run = run_cli(capsys, "models", "convert", str(src), "--out", str(out), "--type", "q8_0")
    assert_one_stderr_line(run, *words)
    assert not out.exists()
    assert [p.name for p in out.parent.glob("*")] == []  # no .partial left behind
    assert snapshot(src) == before


# -- settings (config.toml) ---------------------------------------------------------------------

CONFIG_CASES = [
    ("malformed-toml", b'model = "gpt2\ntheme = 3\n', ("config.toml", "using defaults")),
    ("not-utf8", b'model = "caf\xe9"\n', ("cannot read", "using defaults")),
    (
        "wrong-types",
        b'continue_tokens = "lots"\noffline = "yes"\nmodel = 5\n',
        ("continue_tokens has the wrong type", "offline has the wrong type"),
    ),
    ("gpu-layers-word", b'gpu_layers = "lots"\n', ("gpu_layers must be a number or 'auto'",)),
    (
        "sampler-not-numbers",
        b'[sampler]\ntemperature = "hot"\ntop_k = inf\ntop_p = nan\n',
        ("sampler.temperature must be", "sampler.top_k must be", "sampler.top_p must be"),
    ),
    ("sampler-not-a-table", b"sampler = 5\nkeymap = []\n", ("sampler must be a table",)),
    (
        "unknown-settings",
        b'colour = "red"\n[sampler]\nwarmth = 2\n',
        ("unknown setting 'colour'", "unknown sampler setting 'warmth'"),
    ),
]


@pytest.mark.parametrize(
    ("content", "words"), [c[1:] for c in CONFIG_CASES], ids=[c[0] for c in CONFIG_CASES]
)
def test_bad_config(content: bytes, words: tuple[str, ...]) -> None:
    path = config_mod.config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    settings = config_mod.load()
    warnings = "\n".join(settings.warnings)
    assert_words(warnings, *words)
    defaults = Settings()
    assert settings.sampler == defaults.sampler
    assert settings.continue_tokens == defaults.continue_tokens
    assert settings.gpu_layers == defaults.gpu_layers
    assert path.read_bytes() == content


async def test_app_starts_with_a_bad_config_and_says_so() -> None:
    path = config_mod.config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('continue_tokens = "x"\n[sampler]\ntop_k = inf\n')
    app = QuillpenApp(None, model=None)  # reads the config itself
    async with app.run_test() as pilot:
        await pilot.press(*"still works")
        assert app.editor.text == "still works"
        warnings = [n.message for n in app._notifications if n.title == "Settings"]
        assert len(warnings) == 2, warnings
        assert "continue_tokens" in warnings[0] and "sampler.top_k" in warnings[1]
    assert app.settings.sampler == Settings().sampler


# -- user templates ---------------------------------------------------------------------------

GOOD_TEMPLATE = """\
title = "Good one"
description = "Still loads"
category = "story"
preset = "balanced"
max_tokens = 40
body = "Once upon a time, {who} set out."

[[fields]]
name = "who"
"""


def _template(body: str = "Once upon {who}.", extra: str = "", fields: str = "who") -> bytes:
    text = (
        'title = "Bad"\ndescription = "x"\ncategory = "story"\npreset = "balanced"\n'
        f"max_tokens = 40\nbody = {json.dumps(body)}\n{extra}"
    )
    for name in filter(None, fields.split(",")):
        text += f'\n[[fields]]\nname = "{name}"\n'
    return text.encode()


TEMPLATE_CASES = [
    ("toml-syntax", b'title = "Bad\nbody = 3\n', ("TOML syntax error", "line 1")),
    ("unknown-key", _template(extra='colour = "red"\n'), ("unknown key 'colour'",)),
    ("unknown-field-key", _template(fields="who") + b'kind = "text"\n', ("unknown key 'kind'",)),
    ("placeholder-without-field", _template("Dear {name},", fields=""), ("{name} has no field",)),
    ("invalid-placeholder", _template("Hi {who.upper}", fields="who"), ("invalid placeholder",)),
    ("single-brace", _template("Hi } there", fields=""), ("single '}'",)),
    ("missing-key", b'title = "Bad"\n', ("missing keys", "'body'")),
    ("wrong-type", _template().replace(b"max_tokens = 40", b'max_tokens = "many"'), ("integer",)),
    ("unknown-preset", _template().replace(b'"balanced"', b'"wild"'), ("unknown preset 'wild'",)),
    ("duplicate-field", _template(fields="who,who"), ("duplicate field name 'who'",)),
    ("not-utf8", _template().replace(b"Bad", b"B\xe4d"), ("not UTF-8",)),
    ("too-large", b"# " + b"x" * 300_000 + b"\n", ("too large",)),
]


@pytest.mark.parametrize(
    ("content", "words"), [c[1:] for c in TEMPLATE_CASES], ids=[c[0] for c in TEMPLATE_CASES]
)
def test_bad_user_template(content: bytes, words: tuple[str, ...]) -> None:
    folder = user_dir()
    folder.mkdir(parents=True)
    (folder / "good.toml").write_text(GOOD_TEMPLATE)
    bad = folder / "bad.toml"
    bad.write_bytes(content)
    templates, errors = load_user()
    assert [t.title for t in templates] == ["Good one"]  # one bad file hides nothing else
    assert len(errors) == 1 and isinstance(errors[0], TemplateError)
    assert errors[0].path == bad
    assert_words(str(errors[0]), "bad.toml", *words)
    assert bad.read_bytes() == content


# -- documents ----------------------------------------------------------------------------------


def _file(content: bytes) -> Callable[[Path, pytest.MonkeyPatch], Path]:
    def make(tmp: Path, mp: pytest.MonkeyPatch) -> Path:
        path = tmp / "doc.txt"
        path.write_bytes(content)
        return path

    return make


def _huge(tmp: Path, mp: pytest.MonkeyPatch | None = None) -> Path:
    path = tmp / "huge.txt"
    with path.open("wb") as fh:
        fh.truncate(51 * 1024 * 1024)  # sparse: instant, and no disk used
    return path


def _folder(tmp: Path, mp: pytest.MonkeyPatch) -> Path:
    path = tmp / "chapter.md"
    path.mkdir()
    return path


def _fifo(tmp: Path, mp: pytest.MonkeyPatch | None = None) -> Path:
    """A named pipe: reading it waits for a writer forever."""
    path = tmp / "pipe.md"
    os.mkfifo(path)

    def unblock() -> None:  # should a reader ever open it, end its wait after 3 s (a failure)
        time.sleep(3)
        for _ in range(50):
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
                return
            except OSError:  # ENXIO: no reader (as it should be); ENOENT: test over
                time.sleep(0.1)

    threading.Thread(target=unblock, daemon=True).start()
    return path


def _device(tmp: Path, mp: pytest.MonkeyPatch) -> Path:
    # /dev/zero or /dev/urandom never end: the same check refuses them, but should it regress
    # they would fill the memory, so the test uses a device that ends at once.
    return Path("/dev/null")


def _unreadable_doc(tmp: Path, mp: pytest.MonkeyPatch) -> Path:
    path = tmp / "secret.md"
    path.write_text("private\n")
    make_unreadable(path, mp)
    return path


DOCUMENT_CASES = [
    ("not-utf8", _file(b"caf\xe9 cr\xe8me\n"), NotUtf8, ("doc.txt", "not UTF-8", "Latin-1")),
    ("binary", _file(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256))), QuillpenError, ("binary",)),
    ("huge-sparse", _huge, QuillpenError, ("huge.txt", "53 MB", "up to 52 MB")),
    ("directory", _folder, QuillpenError, ("chapter.md", "is a directory")),
    ("fifo", _fifo, QuillpenError, ("pipe.md", "not a regular file")),
    ("device", _device, QuillpenError, ("/dev/null", "not a regular file")),
    ("unreadable", _unreadable_doc, QuillpenError, ("secret.md", "permission denied")),
]


@pytest.mark.timeout(20)
@pytest.mark.parametrize(
    ("make", "kind", "words"), [c[1:] for c in DOCUMENT_CASES], ids=[c[0] for c in DOCUMENT_CASES]
)
def test_bad_document(
    make: Callable[[Path, pytest.MonkeyPatch], Path],
    kind: type[QuillpenError],
    words: tuple[str, ...],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = make(tmp_path, monkeypatch)
    if not path.exists():
        pytest.skip(f"{path} does not exist on this system")
    before = snapshot(path)
    start = time.monotonic()
    with pytest.raises(QuillpenError) as caught:
        Document.open(path)
    assert time.monotonic() - start < 2, "refused quickly, without reading it all"
    assert type(caught.value) is kind
    assert_words(str(caught.value), *words)
    assert snapshot(path) == before


async def test_app_refuses_bad_documents_and_keeps_running(tmp_path: Path) -> None:
    bad = {
        "binary": tmp_path / "a.bin",
        "huge": _huge(tmp_path),
        "fifo": _fifo(tmp_path),
    }
    bad["binary"].write_bytes(b"\x00\x01\x02" * 100)
    app = QuillpenApp(bad["fifo"], model=None, settings=Settings())
    async with app.run_test() as pilot:
        for path in (bad["binary"], bad["huge"]):
            app._open_path(path)
            await pilot.pause()
        refused = [n.message for n in app._notifications if n.title == "Cannot open"]
        assert len(refused) == 3, refused
        assert "not a regular file" in refused[0] and "binary" in refused[1]
        assert "MB" in refused[2]
        await pilot.press(*"fresh")
        assert app.editor.text == "fresh" and app.document.path is None


# -- saving -------------------------------------------------------------------------------------

ORIGINAL = "The original, safe on disk.\n"
EDITED = "A new draft that must not be lost.\n"


def _read_only_folder(folder: Path, target: Path, mp: pytest.MonkeyPatch) -> None:
    if can_make_read_only(folder):
        return
    real = docs.tempfile.mkstemp

    def mkstemp(*args: Any, **kwargs: Any) -> tuple[int, str]:
        if Path(kwargs.get("dir") or ".") == folder:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(folder))
        return real(*args, **kwargs)

    mp.setattr(docs.tempfile, "mkstemp", mkstemp)


def _read_only_filesystem(folder: Path, target: Path, mp: pytest.MonkeyPatch) -> None:
    real = os.replace

    def replace(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        if Path(dst) == target:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(dst))
        real(src, dst, *args, **kwargs)

    mp.setattr(docs.os, "replace", replace)


def _disk_full_on_write(folder: Path, target: Path, mp: pytest.MonkeyPatch) -> None:
    real = os.fdopen

    class FullDisk:
        """The temp file: half of the first write lands, then ENOSPC."""

        def __init__(self, fh: Any) -> None:
            self._fh = fh

        def write(self, data: bytes) -> int:
            self._fh.write(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def __enter__(self) -> FullDisk:
            return self

        def __exit__(self, *exc: object) -> None:
            self._fh.close()

        def __getattr__(self, name: str) -> Any:
            return getattr(self._fh, name)

    mp.setattr(docs.os, "fdopen", lambda *a, **k: FullDisk(real(*a, **k)))


def _disk_full_on_fsync(folder: Path, target: Path, mp: pytest.MonkeyPatch) -> None:
    def fsync(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    mp.setattr(docs.os, "fsync", fsync)


def _no_fault(folder: Path, target: Path, mp: pytest.MonkeyPatch) -> None:
    pass


SAVE_CASES: list[tuple[str, Any, str | None, tuple[str, ...]]] = [
    ("read-only-folder", _read_only_folder, None, ("cannot save", "story.md", "permission denied")),
    (
        "read-only-filesystem",
        _read_only_filesystem,
        None,
        ("cannot save", "read-only file system", "your text is still here"),
    ),
    ("disk-full-write", _disk_full_on_write, None, ("disk is full", "your text is still here")),
    ("disk-full-fsync", _disk_full_on_fsync, None, ("disk is full", "your text is still here")),
    ("folder-missing", _no_fault, "missing/new.md", ("cannot save", "no such file or directory")),
    ("target-is-a-folder", _no_fault, "a-folder", ("cannot save", "a-folder", "is a directory")),
]


@pytest.mark.parametrize(
    ("fault", "other", "words"), [c[1:] for c in SAVE_CASES], ids=[c[0] for c in SAVE_CASES]
)
def test_save_fails_cleanly(
    fault: Callable[[Path, Path, pytest.MonkeyPatch], None],
    other: str | None,
    words: tuple[str, ...],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a-folder").mkdir()
    path = folder / "story.md"
    path.write_text(ORIGINAL)
    doc, text = Document.open(path)
    assert text == ORIGINAL
    fault(folder, path, monkeypatch)
    try:
        with pytest.raises(QuillpenError) as caught:
            doc.save(EDITED, folder / other if other else None)
    finally:
        folder.chmod(0o755)
    assert_words(str(caught.value), *words)
    assert path.read_text() == ORIGINAL  # the file on disk is untouched
    assert sorted(p.name for p in folder.iterdir()) == ["a-folder", "story.md"]  # no temp file
    assert doc.path == path and not doc.changed_on_disk()


def test_untitled_document_without_a_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(QuillpenError, match="this document has no file name yet"):
        Document().save("words")
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == []


async def test_app_save_failure_keeps_the_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only file system (EROFS) at the rename: the text stays, and saving works later."""
    path = tmp_path / "story.md"
    path.write_text(ORIGINAL)
    app = QuillpenApp(path, model=None, settings=Settings())
    async with app.run_test() as pilot:
        await pilot.press("end", *"!!")
        edited = app.editor.text
        assert edited != ORIGINAL
        with monkeypatch.context() as mp:
            _read_only_filesystem(tmp_path, path, mp)
            await pilot.press("ctrl+s")
            await pilot.pause()
        failed = [n.message for n in app._notifications if n.title == "Not saved"]
        assert len(failed) == 1 and "your text is still here" in failed[0]
        assert app.editor.text == edited and app.dirty and app.sub_title.endswith("●")
        assert path.read_text() == ORIGINAL
        assert docs.read_journal(app.document) == edited  # the recovery copy has it too
        assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["story.md"]
        await pilot.press("ctrl+s")  # and once the disk is back, saving works
        await pilot.pause()
        assert path.read_text() == edited and not app.dirty


# -- downloads (the loopback fake Hub of test_hub.py) ------------------------------------------


HUB_CASES = [
    # (id, repo, file, fault, pull arguments, words)
    ("401", GGUF_REPO, GGUF_FILE, "401", (f"{GGUF_REPO}:{GGUF_FILE}",), ("401", "HF_TOKEN")),
    ("404", GGUF_REPO, GGUF_FILE, None, (f"{GGUF_REPO}:nope.Q8_0.gguf",), ("file not found",)),
    ("500", CATALOG_REPO, WEIGHTS, "500", ("gpt2",), ("500", "try again")),
    ("cut-mid-file", CATALOG_REPO, WEIGHTS, "cut-always", ("gpt2",), ("interrupted",)),
    ("wrong-sha256", GGUF_REPO, GGUF_FILE, "bad-sha", (f"{GGUF_REPO}:{GGUF_FILE}",), ("sha256",)),
    ("unknown-repo", GGUF_REPO, GGUF_FILE, None, ("nobody/missing",), ("repository not found",)),
    ("offline-no-cache", CATALOG_REPO, WEIGHTS, None, ("gpt2", "--offline"), ("offline",)),
    ("disk-full", CATALOG_REPO, WEIGHTS, "disk-full", ("gpt2",), ("disk is full",)),
]


@pytest.mark.parametrize(
    ("repo", "filename", "fault", "args", "words"),
    [c[1:] for c in HUB_CASES],
    ids=[c[0] for c in HUB_CASES],
)
def test_bad_download(
    fake_hub: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    repo: str,
    filename: str,
    fault: str | None,
    args: tuple[str, ...],
    words: tuple[str, ...],
) -> None:
    if fault == "disk-full":
        test_hub.simulate_full_disk(monkeypatch)
    elif fault:
        fake_hub.fault(repo, filename, fault)
    run = run_cli(capsys, "models", "pull", *args, "--quant", "Q8_0")
    assert run.rc == 1 and "Traceback" not in run.out + run.err
    line = [ln for ln in run.err.splitlines() if ln.strip()][-1]  # after pull's progress lines
    assert line.startswith("quillpen: ")
    assert_words(line, *words)
    assert run.out == ""
    if "--offline" in args:
        assert fake_hub.requests == []
    assert_nothing_complete(fake_hub if fault and fault != "disk-full" else None, repo, filename)


# -- prompts and flags --------------------------------------------------------------------------


def test_engine_prompt_longer_than_the_window(small_engine: Engine) -> None:
    prompt = "word " * 3000
    text = small_engine.complete(prompt, max_tokens=3)
    stats = small_engine.last_stats
    assert isinstance(text, str) and stats.generated_tokens >= 1
    assert stats.trimmed_tokens > 0  # the oldest tokens went, quietly
    assert stats.prompt_tokens + 3 <= small_engine.n_ctx_train


def test_generate_prompt_longer_than_the_window(
    small_gguf: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_cli(capsys, "generate", "--model", str(small_gguf), "--max-tokens", "3", "w " * 3000)
    assert_one_stderr_line(run, "longer than the model's 64-token window", "using its end", rc=0)
    assert run.out.strip()


def test_generate_gpu_layers_on_a_cpu_only_build(
    small_gguf: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    if engine_mod.gpu_offload_supported():  # a GPU build: play the CPU-only one
        monkeypatch.setattr(engine_mod, "gpu_offload_supported", lambda: False)
    run = run_cli(
        capsys,
        "generate",
        "--model",
        str(small_gguf),
        "--gpu-layers",
        "5",
        "--max-tokens",
        "3",
        "x",
    )
    assert_one_stderr_line(run, "cannot offload to a GPU", "running on the CPU", rc=0)
    assert run.out.strip()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (
            ("generate", "--gpu-layers", "lots", "hi"),
            ("--gpu-layers", GPU_LAYERS_HELP),
        ),
        (("--gpu-layers", "lots"), ("--gpu-layers", GPU_LAYERS_HELP)),
        (("generate", "--max-tokens", "many", "hi"), ("--max-tokens", "a whole number")),
    ],
    ids=["generate-gpu-layers-lots", "app-gpu-layers-lots", "generate-max-tokens-word"],
)
def test_bad_flag_is_a_usage_error(
    args: tuple[str, ...], words: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_cli(capsys, *args)
    assert run.rc == 2 and run.out == ""
    assert "Traceback" not in run.err
    assert run.err.startswith("usage: quillpen")
    assert_words(run.err.strip().splitlines()[-1], "quillpen", "error", *words)


def test_engine_gpu_layers_word(small_gguf: Path) -> None:
    with pytest.raises(QuillpenError, match="--gpu-layers takes a number or 'auto', not 'lots'"):
        Engine.load(small_gguf, gpu_layers="lots")


@pytest.mark.parametrize("where", ["argument", "stdin"])
def test_generate_prompt_not_utf8(
    where: str,
    small_gguf: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    raw = b"caf\xe9 \xff"
    args = ["generate", "--model", str(small_gguf), "--max-tokens", "2"]
    if where == "argument":  # how Python hands over undecodable argv bytes
        args.append(raw.decode("utf-8", "surrogateescape"))
    else:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8"))
    run = run_cli(capsys, *args)
    assert_one_stderr_line(run, "the prompt is not UTF-8 text")
    assert run.out == ""


# -- model output that is not plain text --------------------------------------------------------


def test_generate_prints_hostile_output_as_text(
    small_gguf: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Engine, "stream", hostile_stream)
    run = run_cli(capsys, "generate", "--model", str(small_gguf), "Once")
    assert run.rc == 0 and run.err == ""
    assert run.out == HOSTILE_SHOWN + "\n"
    for char in CONTROL_CHARS:
        assert char not in run.out


async def test_app_shows_hostile_output_as_text(
    tmp_path: Path, small_gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine_hooks.use(monkeypatch, "hostile")  # in the engine process
    app = QuillpenApp(tmp_path / "s.md", model=str(small_gguf), settings=Settings())
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_until(pilot, lambda: app.model_name is not None, 20)
        await continued(pilot, app, *"Hi", "tab")
        assert app.editor.text == "Hi" + HOSTILE_SHOWN
        assert app.is_running  # [@click=app.quit] did nothing

        await pilot.press("f3")  # the chat pane: the same pieces as a reply
        await pilot.pause()
        app.chat.input.focus()
        await pilot.press(*"Ideas?", "enter")
        await wait_until(pilot, lambda: len(app.chat.history) == 2, 20)
        await pilot.pause()
        reply = HOSTILE_SHOWN.strip()
        assert app.chat.history[-1].content == reply
        assert app.chat.last_reply == reply

        out = screen_output(app)
        for sequence in ("\x1b[2J", "\x1b]52", "\x07", "\x00", "\r"):
            assert sequence not in out
        plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out)
        assert plain.count("[bold]x[/bold]") == 2  # the editor's line and the chat's reply


async def test_app_model_name_with_escapes_is_shown_as_text(
    small_checkpoint: Path, tmp_path: Path
) -> None:
    hostile = convert(
        small_checkpoint, tmp_path / "evil.gguf", "f32", name="[b]Evil[/b]\x1b[2J\x1b]52;c;SGk=\x07"
    )
    assert read_info(hostile).name == "[b]Evil[/b]"
    app = QuillpenApp(None, model=str(hostile), settings=Settings())
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.model_name is not None, 20)
        out = screen_output(app)
        assert "\x1b[2J" not in out and "\x1b]52" not in out and "\x07" not in out
        assert "[b]Evil[/b]" in re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out)


async def test_app_file_name_with_escapes_is_shown_as_text(tmp_path: Path) -> None:
    path = tmp_path / "notes\x1b[2J\x1b]52;c;SGk=\x07.md"
    path.write_text("hello")
    app = QuillpenApp(path, model=None, settings=Settings())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.editor.text == "hello"
        out = screen_output(app)
        assert "\x1b[2J" not in out and "\x1b]52" not in out and "\x07" not in out


async def test_app_broken_model_is_refused_and_editing_goes_on(
    tmp_path: Path, broken_models: dict[str, Path]
) -> None:
    path = tmp_path / "s.md"
    path.write_text(ORIGINAL)
    app = QuillpenApp(path, model=str(broken_models["gpt2-missing-tensor"]), settings=Settings())
    async with app.run_test() as pilot:

        def failed() -> list[str]:
            return [n.message for n in app._notifications if n.title == "Model failed to load"]

        await wait_until(pilot, failed, 20)
        assert len(failed()) == 1 and "output_norm.bias" in failed()[0]
        assert app.status.state == "no model" and app.model_name is None
        assert app.editor.text == ORIGINAL
        await pilot.press("tab")  # no model: a notice, not a crash
        await pilot.press("end", *"!")
        assert app.editor.text.startswith(ORIGINAL.rstrip("\n")) and app.is_running
    assert path.read_text() == ORIGINAL


# -- names with brackets are shown as text, not markup ------------------------------------------


@pytest.mark.parametrize("folder", ["ideas [draft]", "a["], ids=["mangled", "crash"])
async def test_app_notification_shows_a_path_with_brackets(tmp_path: Path, folder: str) -> None:
    path = tmp_path / folder / "b].md"
    path.mkdir(parents=True)  # "<path> is a directory", with the whole path in the message
    app = QuillpenApp(path, model=None, settings=Settings())
    async with app.run_test() as pilot:
        await pilot.pause()
        [refused] = [n for n in app._notifications if n.title == "Cannot open"]
        # What a toast shows (textual.widgets._toast.Toast.render), without ending this app.
        shown = Content.from_markup(refused.message) if refused.markup else Content(refused.message)
        assert str(path) in shown.plain


async def test_app_question_shows_a_file_name_with_brackets(tmp_path: Path) -> None:
    path = tmp_path / "notes [draft].md"
    path.write_text("text")
    app = QuillpenApp(path, model=None, settings=Settings())
    async with app.run_test() as pilot:
        await pilot.press("end", *"!", "ctrl+q")
        await pilot.pause()
        question = app.screen.query_one(".dialog-question")
        assert "notes [draft].md" in str(question.render())


def test_save_removes_temp_files_left_by_an_interrupted_save(tmp_path: Path) -> None:
    import os
    import time

    from tui.document import Document

    target = tmp_path / "story.md"
    stale = tmp_path / ".story.md.abc123.tmp"
    fresh = tmp_path / ".story.md.def456.tmp"
    stale.write_text("half a save")
    fresh.write_text("another save in progress")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    Document(path=target).save("text")
    assert target.read_text() == "text"
    assert not stale.exists() and fresh.exists()


def test_quillpen_folders_are_private(user_dirs: dict[str, Path]) -> None:
    import stat

    from models import locations

    for folder in (
        locations.cache_dir(),
        locations.models_dir(),
        locations.hub_dir(),
        locations.config_dir(),
        locations.data_dir(),
        locations.state_dir(),
    ):
        assert stat.S_IMODE(folder.stat().st_mode) & 0o077 == 0, folder
    journal = docs.journal_path(Document(path=Path("/tmp/x.md")))
    docs.write_journal(Document(path=Path("/tmp/x.md")), "secret draft")
    assert stat.S_IMODE(journal.stat().st_mode) == 0o600
