"""Training for real: the stored model is better on held-out text, scored by llama.cpp."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from models.voice import place, report
from tests.models.voice.conftest import Trained
from tests.support.voice import quillpen


def test_held_out_perplexity_halves_scored_by_llama_cpp(trained: Trained) -> None:
    done = quillpen(trained.home, "voice", "report", "foxes", "--json", "--samples", "3")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    base, tuned = result["base"], result["tuned"]
    assert tuned["perplexity"] <= base["perplexity"] / 2
    assert tuned["bits_per_char"] < base["bits_per_char"]
    assert tuned["tokens"] == base["tokens"] > 0  # the same text, the same tokens
    assert "in_context" in result
    assert result["memorization"]["samples"] == 3


def test_progress_and_samples_are_shown(trained: Trained) -> None:
    assert "tok/s" in trained.stderr and "held-out" in trained.stderr and "ETA" in trained.stderr
    assert "--- sample at step 16 ---" in trained.stderr


def test_a_model_like_any_other(in_home: Trained) -> None:
    listed = quillpen(in_home.home, "models", "list")
    assert "foxes" in listed.stdout and "(voice, base" in listed.stdout
    assert "adapter" not in listed.stdout.split("(voice")[0]
    gen = quillpen(in_home.home, "generate", "--model", "foxes", "--max-tokens", "5", "the red")
    assert gen.returncode == 0, gen.stderr
    meta = place.read_meta("foxes")
    assert meta is not None
    assert meta["base"] == str(in_home.base) and meta["quant"] == "F32"
    assert len(meta["corpus"]["sha256"]) == 64 and meta["corpus"]["size"] > 0
    assert meta["steps"] > 0 and meta["held_out_perplexity"] > 0
    assert in_home.model == place.model_file("foxes", "F32")


def test_the_adapter_is_checked_against_the_base(in_home: Trained) -> None:
    from models.errors import QuillpenError
    from models.voice.export import check_adapter

    meta = place.read_meta("foxes")
    assert meta is not None and meta["adapter"]
    check_adapter(place.model_file("foxes", "F32").with_name("foxes.adapter.gguf"), in_home.model)
    with pytest.raises(QuillpenError, match="not a LoRA adapter"):
        check_adapter(in_home.model, in_home.model)


def test_longest_shared_run() -> None:
    train = " the red fox goes to the hill "
    assert report.longest_shared_run("a red fox goes to the wood", train) == 5
    assert report.longest_shared_run("nothing here", train) == 0


def test_models_rm_removes_a_voice_and_its_work_folder(trained: Trained, tmp_path: Path) -> None:
    import shutil

    home = tmp_path / "copy"
    shutil.copytree(trained.home, home)
    done = quillpen(home, "models", "rm", "foxes")
    assert done.returncode == 0, done.stderr
    assert not (home / "cache" / "quillpen" / "models" / "foxes").exists()
    assert not (home / "cache" / "quillpen" / "voice" / "foxes").exists()
