"""The Chinese path: a tiny GPT-2 with a WordPiece vocabulary (the UER models' layout) trains
on exactly the tokens llama.cpp gives it, and the result runs."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from tests.support.tinymodel import make_wordpiece_checkpoint
from tests.support.voice import quillpen, write_zh_poems


def test_a_wordpiece_model_learns_chinese_poems(tmp_path: Path) -> None:
    from models.local.engine import Engine
    from models.voice.corpus import load

    base = make_wordpiece_checkpoint(tmp_path / "zh", n_embd=32, n_head=2, n_ctx=64)
    texts = write_zh_poems(tmp_path / "诗")
    done = quillpen(
        tmp_path,
        "voice",
        "train",
        "li-bai",
        "--base",
        str(base),
        str(texts),
        "--quant",
        "F32",
        "--window",
        "16",
        "--lr",
        "1e-2",
        "--epochs",
        "2",
        "--eval-every",
        "10",
    )
    assert done.returncode == 0, done.stderr
    work = tmp_path / "cache" / "quillpen" / "voice" / "li-bai"
    engine = Engine.load(work / "base.F32.gguf")
    try:
        expected: list[int] = []
        for piece in load([texts], 0.15).train:
            expected += [*engine.tokenize(piece), engine.eos_token]
        assert engine.detokenize(engine.tokenize("床前明月光")) == "床前明月光"
    finally:
        engine.close()
    with np.load(work / "data.npz") as data:
        assert data["train"].tolist() == expected
    held = [float(x) for x in _held_losses(done.stderr)]
    assert held[-1] < held[0] - math.log(2)  # held-out perplexity at least halved
    gen = quillpen(tmp_path, "generate", "--model", "li-bai", "--max-tokens", "4", "床前")
    assert gen.returncode == 0, gen.stderr


def _held_losses(stderr: str) -> list[str]:
    import re

    return re.findall(r"held-out ([\d.]+)", stderr)
