"""Token insight, scoring, batched alternatives and banned phrases, on real llama.cpp (issue 10).

The tiny random-weight GPT-2 (tests/support/tinymodel.py) writes nonsense, but its probabilities are
real and its F32 logits match a numpy GPT-2 (tinymodel.reference_logits).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from models.engine_client import Chunk, Finished, GenerateRequest, ModelLoaded, Scored
from models.hub.convert import convert
from models.local.client import LocalEngine
from models.local.engine import Engine
from models.prompting.prompts import TextSpec
from models.sampling import SamplerSettings
from tests.support.bad_input import run_cli
from tests.support.engine_events import Events
from tests.support.logits import next_logits
from tests.support.tinymodel import reference_logits

PROMPT = "The old lighthouse keeper"
GREEDY = SamplerSettings(temperature=0, seed=1)


@pytest.fixture(scope="module")
def tiny_f32(tiny_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return convert(tiny_checkpoint, tmp_path_factory.mktemp("f32") / "tiny.F32.gguf", "f32")


@pytest.fixture(scope="module")
def engine(tiny_gguf: Path) -> Iterator[Engine]:
    loaded = Engine.load(tiny_gguf, threads=2)
    yield loaded
    loaded.close()


def texts(pieces: Any, n: int = 1) -> list[str]:
    out = [""] * n
    for piece in pieces:
        out[piece.seq] += piece.text
    return out


# -- scoring -----------------------------------------------------------------------------------


def test_score_matches_a_numpy_gpt2(
    tiny_f32: Path, tiny_checkpoint: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = "Hello world, the keeper climbed é stairs."
    (tmp_path / "in.txt").write_text(text, encoding="utf-8")
    run = run_cli(capsys, "score", "--model", str(tiny_f32), "--top", "5", str(tmp_path / "in.txt"))
    assert run.rc == 0, run.err
    rows = [json.loads(line) for line in run.out.splitlines()]
    assert [r["i"] for r in rows] == list(range(len(rows)))
    assert "".join(r["token"] for r in rows) == text  # the tokens spell the text
    ids = [50256] + [r["id"] for r in rows]  # the first token is scored after end-of-text
    for i, row in enumerate(rows):
        logits = reference_logits(tiny_checkpoint, ids[: i + 1])
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        want = probs[row["id"]]
        assert abs(row["prob"] - want) < 1e-3 and abs(np.log(row["prob"] / want)) < 1e-2
        # Rank: where the logit sits, give or take llama.cpp's float error on near-ties.
        chosen, tol = logits[row["id"]], 1e-2
        assert (logits > chosen + tol).sum() + 1 <= row["rank"] <= (logits > chosen - tol).sum() + 1
        assert len(row["top"]) == 5
        best = np.sort(probs)[::-1][:5]
        assert np.allclose([p for _, p in row["top"]], best, atol=1e-3, rtol=1e-2)
        assert row["top"][0][1] >= row["top"][-1][1]


def test_score_windows_a_text_longer_than_the_context(engine: Engine) -> None:
    text = "word " * 1300  # two windows of 1,024 tokens, overlapping by half
    ids = engine.tokenize(text)
    found = engine.score(text, top=0)
    assert [t.id for t in found] == ids and all(t.top == () for t in found)
    assert "".join(t.text for t in found) == text
    seq = [50256, *ids]
    for i, begin in ((700, 0), (1100, 513)):  # token 1,100 is scored with 512+ tokens before it
        logits = next_logits(engine, seq[begin : i + 1]).astype(np.float64)
        probs = np.exp(logits - logits.max())
        assert found[i].prob == pytest.approx(probs[ids[i]] / probs.sum(), rel=1e-3)
    assert engine.complete(PROMPT, GREEDY, max_tokens=5)  # the engine still generates after


# -- token insight and sampling ----------------------------------------------------------------


def test_the_batch_path_samples_exactly_as_the_plain_stream(engine: Engine) -> None:
    for settings in (SamplerSettings(seed=4), GREEDY):
        plain = engine.complete(PROMPT, settings, max_tokens=30)
        assert texts(engine.generate(PROMPT, settings, max_tokens=30, probabilities=3)) == [plain]
        stop = plain[10:13]
        stopped = engine.complete(PROMPT, settings, max_tokens=30, stop=[stop])
        assert texts(engine.generate(PROMPT, settings, max_tokens=30, stop=[stop])) == [stopped]
        assert engine.last_stats.stopped_by == "stop"


def test_each_token_carries_its_probability_rank_and_alternatives(engine: Engine) -> None:
    pieces = list(engine.generate(PROMPT, GREEDY, max_tokens=12, probabilities=10))
    tokens = [t for p in pieces for t in p.tokens]
    assert len(tokens) == 12 and "".join(t.text for t in tokens) == texts(pieces)[0]
    logits = next_logits(engine, engine.tokenize(PROMPT))
    probs = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    first = tokens[0]
    assert first.rank == 1 and first.id == int(np.argmax(logits))  # greedy takes the top one
    assert abs(first.prob - probs[first.id]) < 1e-4
    assert len(first.top) == 10 and first.top[0] == (engine.piece(first.id), first.prob)
    assert [p for _, p in first.top] == sorted((p for _, p in first.top), reverse=True)


# -- batched alternatives ----------------------------------------------------------------------


def test_three_alternatives_come_from_one_decode_per_step(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import llama_cpp
    import llama_cpp.llama_cpp as lib

    calls: list[tuple[int, set[int]]] = []
    real = lib.llama_decode

    def decode(ctx: Any, batch: Any) -> int:
        n = batch.n_tokens
        seqs = {batch.seq_id[i][0] for i in range(n)} if batch.seq_id else {0}
        calls.append((n, seqs))
        return int(real(ctx, batch))

    monkeypatch.setattr(lib, "llama_decode", decode)
    monkeypatch.setattr(llama_cpp, "llama_decode", decode)
    found = texts(engine.generate(PROMPT, SamplerSettings(seed=7), n=3, max_tokens=20), 3)
    assert len(set(found)) == 3 and all(found)
    steps = [c for c in calls if c[1] == {0, 1, 2}]
    assert len(steps) == 19  # 20 tokens: one decode a step carries all three (the last is not)
    assert all(n == 3 for n, _ in steps)
    assert len(calls) <= 19 + 1  # and the prompt was decoded once
    assert [s.generated_tokens for s in engine.last_sequences] == [20, 20, 20]
    # The same seed gives the same three; sequence 0 is what n=1 gives.
    again = texts(engine.generate(PROMPT, SamplerSettings(seed=7), n=3, max_tokens=20), 3)
    assert again == found
    assert texts(engine.generate(PROMPT, SamplerSettings(seed=7), max_tokens=20)) == found[:1]


# -- banned phrases ----------------------------------------------------------------------------


def first_two_tokens(engine: Engine, settings: SamplerSettings) -> str:
    pieces = engine.generate(PROMPT, settings, max_tokens=30, probabilities=1)
    tokens = [t for p in pieces for t in p.tokens]
    return tokens[0].text + tokens[1].text


def test_a_banned_phrase_never_appears(engine: Engine) -> None:
    phrase = first_two_tokens(engine, GREEDY)
    out = texts(engine.generate(PROMPT, GREEDY, max_tokens=30, bans=[phrase]))[0]
    assert phrase not in out and len(engine.tokenize(out)) >= 25
    for seed in range(20):
        settings = SamplerSettings(seed=seed)
        phrase = first_two_tokens(engine, settings)
        found = texts(engine.generate(PROMPT, settings, n=2, max_tokens=30, bans=[phrase]), 2)
        assert all(phrase not in text for text in found), (seed, phrase)
        assert engine.last_stats.stopped_by == "length"


def test_a_one_token_ban_and_a_phrase_across_the_prompt(engine: Engine) -> None:
    greedy = texts(engine.generate(PROMPT, GREEDY, max_tokens=30))[0]
    word = engine.piece(engine.tokenize(greedy)[0])
    assert word in greedy
    out = texts(engine.generate(PROMPT, GREEDY, max_tokens=30, bans=[word]))[0]
    assert word not in out
    seam = PROMPT[-4:] + greedy[:3]  # begins in the prompt, ends in the continuation
    out = texts(engine.generate(PROMPT, GREEDY, max_tokens=30, bans=[seam]))[0]
    assert seam not in PROMPT + out


def test_text_that_may_become_a_banned_phrase_waits(engine: Engine) -> None:
    settings = SamplerSettings(seed=3)
    pieces = list(engine.generate(PROMPT, settings, max_tokens=40, probabilities=1))
    tokens = [t.text for p in pieces for t in p.tokens]
    free = "".join(tokens)
    # Its start appears at 10, but it never completes (it ends in an unlikely character).
    phrase = free[10:20] + "\x07"
    seen = ""
    for piece in engine.generate(PROMPT, settings, max_tokens=40, bans=[phrase]):
        seen += piece.text
        if len(seen) > 10:  # text from 10 on went out only once it had left the phrase
            made = engine.last_sequences[0].generated_tokens
            assert len("".join(tokens[:made])) > 20
    assert seen == free


# -- through the engine process --------------------------------------------------------------


def test_probabilities_alternatives_and_scores_through_the_engine_process(
    tiny_gguf: Path,
) -> None:
    status = Events()
    client = LocalEngine(status)
    assert client.capabilities.probabilities and client.capabilities.batched_alternatives
    client.load(tiny_gguf, threads=1)
    status.wait_for(ModelLoaded)
    try:
        got = Events()
        request = GenerateRequest(
            TextSpec(PROMPT), SamplerSettings(seed=5), 16, n=2, probabilities=4, bans=("the",)
        )
        client.submit(request, got)
        [done] = got.wait_for(Finished)
        chunks = [e for e in got.items if isinstance(e, Chunk)]
        assert not done.error and [s.generated_tokens for s in done.sequences] == [16, 16]
        for seq in (0, 1):
            mine = [c for c in chunks if c.seq == seq]
            text = "".join(c.text for c in mine)
            infos = [t for c in mine for t in c.token_info]
            assert len(infos) == 16 and "".join(t.text for t in infos) == text
            assert all(len(t.top) == 4 and 0 < t.prob <= 1 and t.rank >= 1 for t in infos)
            assert "the" not in text
        plain = Events()
        client.submit(GenerateRequest(TextSpec(PROMPT), SamplerSettings(seed=5), 8), plain)
        plain.wait_for(Finished)
        assert all(e.token_info == () and e.seq == 0 for e in plain.items if isinstance(e, Chunk))
        stopped = Events()  # a batch stops within a step of its cancel, every sequence
        long = GenerateRequest(TextSpec(PROMPT), SamplerSettings(seed=5), 500, n=3)
        client.submit(long, stopped)
        stopped.wait_for(Chunk)
        client.cancel([long.id])
        [end] = stopped.wait_for(Finished)
        assert end.cancelled and {s.stopped_by for s in end.sequences} == {"cancel"}
        assert end.stats.generated_tokens < 3 * 500
        scored = Events()
        client.score("Hello world", scored, top=3)  # type: ignore[arg-type]
        [answer] = scored.wait_for(Scored)
        assert not answer.error and [t.text for t in answer.tokens] == ["Hello", " world"]
        assert all(len(t.top) == 3 for t in answer.tokens)
    finally:
        client.close()


def test_generate_json_and_alternatives_on_the_command_line(
    tiny_gguf: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = ["--model", str(tiny_gguf), "--max-tokens", "10", "--seed", "2"]
    run = run_cli(capsys, "generate", *model, "-n", "3", "--json", "--ban", " the", PROMPT)
    assert run.rc == 0, run.err
    result = json.loads(run.out)
    assert set(result) == {"texts", "tokens", "seconds"} and result["seconds"] > 0
    assert len(result["texts"]) == 3 and len(set(result["texts"])) == 3
    for text, tokens in zip(result["texts"], result["tokens"], strict=True):
        assert "".join(t["token"] for t in tokens) == text and " the" not in text
        assert all(set(t) == {"token", "id", "prob", "rank"} for t in tokens)
    run = run_cli(capsys, "generate", *model, "-n", "2", PROMPT)
    assert run.rc == 0 and "── 1 ──" in run.out and "── 2 ──" in run.out
    run = run_cli(capsys, "generate", *model, "-n", "9", PROMPT)
    assert run.rc == 2 and "from 1 to 8" in run.err
