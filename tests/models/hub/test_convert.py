"""Converter: official-layout checkpoint → GGUF that llama.cpp runs like GPT-2 does."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from models.errors import QuillpenError
from models.hub.convert import convert
from models.local.engine import Engine
from models.local.gguf_info import read_info
from tests.support.logits import next_logits
from tests.support.tinymodel import make_checkpoint, reference_logits

PROMPTS = ["Hello world,", "The old lighthouse keeper climbed", "Roses are red;\nviolets"]


@pytest.mark.parametrize("out_type,tol", [("f32", 1e-3), ("f16", 5e-2)])
def test_parity_with_numpy_gpt2(
    tiny_checkpoint: Path, tmp_path: Path, out_type: str, tol: float
) -> None:
    gguf = convert(tiny_checkpoint, tmp_path / f"tiny.{out_type}.gguf", out_type)
    engine = Engine.load(gguf)
    for prompt in PROMPTS:
        tokens = engine.tokenize(prompt)
        want = reference_logits(tiny_checkpoint, tokens)
        got = next_logits(engine, tokens).astype(np.float64)
        assert np.max(np.abs(got - want)) < tol * max(1.0, np.max(np.abs(want)))
        assert int(np.argmax(got)) == int(np.argmax(want))
    engine.close()


def test_gpt2_pre_tokenizer(tiny_engine: Engine) -> None:
    assert tiny_engine.tokenize("Hello world,") == [15496, 995, 11]
    assert tiny_engine.tokenize(" it's 2024!") == [340, 338, 48609, 0]
    assert tiny_engine.detokenize([15496, 995, 11]) == "Hello world,"


def test_metadata(tiny_gguf: Path) -> None:
    info = read_info(tiny_gguf)
    assert (info.architecture, info.n_ctx_train, info.n_embd, info.n_layer) == ("gpt2", 1024, 64, 2)
    assert info.file_type == "Q8_0"


def test_transformer_prefix_and_lm_head_accepted(tmp_path: Path) -> None:
    src = make_checkpoint(tmp_path / "prefixed", transformer_prefix=True, n_ctx=128)
    out = convert(src, tmp_path / "p.gguf", "f32")
    assert read_info(out).n_ctx_train == 128


def test_sizes_shrink_with_type(tiny_checkpoint: Path, tmp_path: Path) -> None:
    sizes = [
        convert(tiny_checkpoint, tmp_path / f"{t}.gguf", t).stat().st_size
        for t in ("f32", "f16", "q8_0")
    ]
    assert sizes[0] > sizes[1] > sizes[2]


def test_rejects_non_gpt2(tiny_checkpoint: Path, tmp_path: Path) -> None:
    src = tmp_path / "llama"
    src.mkdir()
    for f in tiny_checkpoint.iterdir():
        (src / f.name).symlink_to(f)
    (src / "config.json").unlink()
    (src / "config.json").write_text(json.dumps({"model_type": "llama"}))
    with pytest.raises(QuillpenError, match="not 'gpt2'"):
        convert(src, tmp_path / "x.gguf")
    assert not (tmp_path / "x.gguf").exists()


def test_no_partial_output_on_failure(tmp_path: Path) -> None:
    src = make_checkpoint(tmp_path / "bad", n_ctx=64)
    cfg = json.loads((src / "config.json").read_text())
    cfg["n_embd"] = 128  # shapes no longer match
    (src / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(QuillpenError, match="shape"):
        convert(src, tmp_path / "out.gguf")
    assert list(tmp_path.glob("out.gguf*")) == []
