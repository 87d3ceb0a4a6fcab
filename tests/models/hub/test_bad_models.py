"""Bad model files and bad checkpoints (what every bad-input test checks: see bad_input.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gguf
import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from models.errors import QuillpenError
from models.hub.convert import convert
from models.local.engine import Engine
from tests.support.bad_input import (
    ORIGINAL,
    Run,
    assert_one_stderr_line,
    assert_words,
    make_unreadable,
    run_cli,
    snapshot,
)
from tests.support.helpers import wait_until
from tui.app import QuillpenApp
from tui.config import Settings

ROOT = Path(__file__).resolve().parents[3]


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
