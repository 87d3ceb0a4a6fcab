"""GGUFs that pass the header check but make llama.cpp abort are refused first, plainly.

Each is the tiny model with one field changed: ``block_count`` 0 or 1000, a NaN
``layer_norm_epsilon``, a vocabulary with a token listed twice. ``quillpen generate`` on one
ends with one "this model file is damaged" line, nothing on stdout (no SIGABRT, no gdb
backtrace there).
"""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gguf
import numpy as np
import pytest

from models.errors import QuillpenError
from models.local.gguf_info import read_info

ROOT = Path(__file__).resolve().parents[3]
Edit = Callable[[str, Any], Any]


def rewrite(src: Path, dst: Path, edit: Edit) -> Path:
    """Copy a GGUF, each key's value passed through ``edit(key, value)``."""
    reader = gguf.GGUFReader(src)
    writer = gguf.GGUFWriter(str(dst), "gpt2")
    for name, field in reader.fields.items():
        if name.startswith("GGUF.") or name == "general.architecture":
            continue
        vtype = field.types[0]
        sub = field.types[1] if vtype == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(name, edit(name, field.contents()), vtype, sub_type=sub)
    plain = (gguf.GGMLQuantizationType.F32, gguf.GGMLQuantizationType.F16)
    for tensor in reader.tensors:
        raw = None if tensor.tensor_type in plain else tensor.tensor_type
        writer.add_tensor(tensor.name, np.array(tensor.data), raw_dtype=raw)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return dst


def setting(key: str, value: Any) -> Edit:
    return lambda name, old: value if name == key else old


def twice(name: str, old: Any) -> Any:
    return [old[0], old[0], *old[2:]] if name == "tokenizer.ggml.tokens" else old


CASES: dict[str, tuple[Edit, str]] = {
    "no-blocks": (setting("gpt2.block_count", 0), "block_count is 0"),
    "1000-blocks": (setting("gpt2.block_count", 1000), "block_count is 1000"),
    "nan-epsilon": (setting("gpt2.attention.layer_norm_epsilon", math.nan), "layer_norm_epsilon"),
    "duplicate-token": (twice, "twice"),
}


@pytest.fixture(scope="module")
def hostile_ggufs(tiny_gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("hostile-gguf")
    return {name: rewrite(tiny_gguf, d / f"{name}.gguf", edit) for name, (edit, _) in CASES.items()}


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_header_check_refuses_it(name: str, hostile_ggufs: dict[str, Path]) -> None:
    with pytest.raises(QuillpenError, match="this model file is damaged") as caught:
        read_info(hostile_ggufs[name])
    assert CASES[name][1] in str(caught.value)


@pytest.mark.parametrize("name", sorted(CASES))
def test_generate_says_damaged_and_leaves_stdout_clean(
    name: str, hostile_ggufs: dict[str, Path]
) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "tui.cli", "generate", "--model", str(hostile_ggufs[name]), "hi"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1, (run.returncode, run.stderr[-2000:])
    assert run.stdout == ""
    [line] = run.stderr.strip().splitlines()
    assert "this model file is damaged" in line


def test_the_tiny_model_passes(tiny_gguf: Path) -> None:
    assert read_info(tiny_gguf).n_layer == 2
