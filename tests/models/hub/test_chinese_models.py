"""Chinese GPT-2 (UER layout: GPT-2 weights, BERT WordPiece vocab.txt) → GGUF → llama.cpp.

A tiny random-weight checkpoint with a 351-token WordPiece vocabulary (tests/fixtures/
zh-wordpiece: the specials at BERT's ids, CJK characters and punctuation, Latin words and
``##`` pieces), as model.safetensors and as pytorch_model.bin in both torch.save formats.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import gguf
import numpy as np
import pytest

from models.errors import QuillpenError
from models.hub import catalog
from models.hub.convert import convert
from models.local.engine import Engine
from models.local.frames import FrameWriter, read_frame
from models.prompting.cjk import join_cjk
from models.prompting.prompts import StorySpec, to_wire
from models.sampling import SamplerSettings
from tests.support.logits import next_logits
from tests.support.tinymodel import ZH_VOCAB, make_wordpiece_checkpoint, reference_logits, zh_vocab

PROMPTS = ["床前明月光，疑是地上霜。", "Hello World, 我爱 python！", "春眠不觉晓\n处处闻啼鸟", ""]
GREEDY = SamplerSettings(top_k=1, seed=1)


@pytest.fixture(scope="module")
def zh_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("zh")


@pytest.fixture(scope="module")
def zh_checkpoint(zh_dir: Path) -> Path:
    """The same weights as model.safetensors and as a zip pytorch_model.bin."""
    return make_wordpiece_checkpoint(zh_dir / "zh-gpt2", weights=("safetensors", "bin"))


@pytest.fixture(scope="module")
def zh_f32(zh_checkpoint: Path, zh_dir: Path) -> Path:
    return convert(zh_checkpoint, zh_dir / "zh.f32.gguf", "f32")


@pytest.fixture(scope="module")
def zh_engine(zh_f32: Path):  # type: ignore[no-untyped-def]
    engine = Engine.load(zh_f32)
    yield engine
    engine.close()


def _tensors(path: Path) -> dict[str, tuple[int, bytes]]:
    reader = gguf.GGUFReader(path)
    return {t.name: (int(t.tensor_type), bytes(t.data.tobytes())) for t in reader.tensors}


def _field(reader: gguf.GGUFReader, key: str) -> object:
    return reader.fields[key].contents()


@pytest.mark.parametrize("fmt", ["bin", "legacy"])
def test_bin_without_torch_converts_to_the_same_tensors(
    zh_checkpoint: Path, zh_f32: Path, zh_dir: Path, fmt: str
) -> None:
    """pytorch_model.bin (either torch format, with tied lm_head, bool masks, masked_bias)
    gives exactly the tensors model.safetensors gives."""
    src = make_wordpiece_checkpoint(zh_dir / f"only-{fmt}", weights=(fmt,))
    assert not (src / "model.safetensors").exists()
    for out_type, reference in (("f32", zh_f32), ("q8_0", None)):
        if reference is None:
            reference = convert(zh_checkpoint, zh_dir / f"st-{fmt}.q8_0.gguf", out_type)
        got = convert(src, zh_dir / f"{fmt}.{out_type}.gguf", out_type)
        assert _tensors(got) == _tensors(reference)


def test_wordpiece_vocab_in_llama_cpp_form(zh_f32: Path) -> None:
    reader = gguf.GGUFReader(zh_f32)
    vocab = zh_vocab()
    tokens = _field(reader, "tokenizer.ggml.tokens")
    types = _field(reader, "tokenizer.ggml.token_type")
    assert _field(reader, "tokenizer.ggml.model") == "bert"
    assert _field(reader, "general.architecture") == "gpt2"
    assert isinstance(tokens, list) and isinstance(types, list)
    assert len(tokens) == len(vocab)
    i = vocab.index
    assert tokens[i("月")] == "\u2581月" and tokens[i("hello")] == "\u2581hello"
    assert tokens[i("##ing")] == "ing" and tokens[i("##月")] == "月"
    assert tokens[100:104] == ["[UNK]", "[CLS]", "[SEP]", "[MASK]"] and tokens[0] == "[PAD]"
    assert tokens[1] == "\u2581[unused1]"
    control = {n for n, t in enumerate(types) if t == gguf.TokenType.CONTROL}
    assert control == {0, 100, 101, 102, 103}
    ids = {
        k: _field(reader, f"tokenizer.ggml.{k}_token_id")
        for k in ("bos", "eos", "seperator", "unknown", "padding", "mask")
    }
    want = {"bos": 101, "eos": 102, "seperator": 102, "unknown": 100, "padding": 0, "mask": 103}
    assert ids == want
    assert _field(reader, "tokenizer.ggml.add_bos_token") is True
    assert _field(reader, "tokenizer.ggml.add_sep_token") is False
    assert _field(reader, "tokenizer.ggml.add_eos_token") is False
    assert _field(reader, "tokenizer.ggml.normalizer.lowercase") is True


def test_llama_cpp_loads_it_as_wordpiece(zh_engine: Engine) -> None:
    assert zh_engine.wordpiece and zh_engine.eos_token == 102 and zh_engine.prompt_start == (101,)
    # No [CLS]/[SEP] around a tokenized string; [CLS] starts a prompt that starts a document.
    assert zh_engine.tokenize("床前") == [zh_vocab().index("床"), zh_vocab().index("前")]
    assert zh_engine.fit_prompt([], 10)[0] == [101]
    tokens, cut, _ = zh_engine.fit_prompt(zh_engine.tokenize("床前"), 10)
    assert (tokens[0], cut) == (101, 0)
    assert zh_engine.fit_prompt(tokens, 10)[0] == tokens  # fitting twice adds nothing
    long, cut, _ = zh_engine.fit_prompt([243] * 200, 28)  # cut: no longer a document's start
    assert (len(long), cut, long[0]) == (100, 100, 243)


@pytest.mark.parametrize("out_type", ["f32", "q8_0"])
def test_logits_match_a_numpy_gpt2(
    zh_checkpoint: Path, zh_f32: Path, zh_dir: Path, out_type: str
) -> None:
    """F32: within 1e-3 (relative to the largest logit, at least 1), same argmax. Q8_0 rounds
    every 2-D weight to 8 bits (measured: ~4% of the scale here), so it is held to 0.1 of that
    scale, a correlation above 0.99, and the reference's argmax among its top 3."""
    path = zh_f32 if out_type == "f32" else convert(zh_checkpoint, zh_dir / "zh.q8.gguf", "q8_0")
    engine = Engine.load(path)
    try:
        for prompt in PROMPTS:
            tokens = engine.fit_prompt(engine.tokenize(prompt), 1)[0]
            want = reference_logits(zh_checkpoint, tokens)
            got = next_logits(engine, tokens).astype(np.float64)
            scale = max(1.0, float(np.max(np.abs(want))))
            error = float(np.max(np.abs(got - want)))
            if out_type == "f32":
                assert error < 1e-3 * scale, (prompt, error)
                assert int(np.argmax(got)) == int(np.argmax(want))
            else:
                assert error < 0.1 * scale, (prompt, error)
                assert np.corrcoef(got, want)[0, 1] > 0.99
                assert int(np.argmax(want)) in np.argsort(got)[-3:]
    finally:
        engine.close()


def mixed_strings(n: int = 200, seed: int = 7) -> list[str]:
    """Deterministic mixed CJK / Latin / punctuation / whitespace strings."""
    rng = random.Random(seed)
    vocab = zh_vocab()
    cjk = [t for t in vocab if len(t) == 1 and "\u4e00" <= t <= "\u9fff"] + list("龍鳳年𠀀")
    cjk_marks = list("，。！？；：、“”‘’（）《》「」…—·")
    ascii_marks = list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
    words = ["hello", "World", "the", "Poem", "moonlight", "springs", "café", "Naïve", "python"]
    words += ["river", "zzz", "ÉCOLE", "naïveté", "x", "2024", "100", "42", "3.14"]
    spaces = [" ", "  ", "\n", "\t", "\u3000", "\r\n"]
    odd = ["🙂", "\u200b", "\u00a0", "\ufffd", "\x00", "Ⅻ", "①", "ｈｅｌｌｏ", "１２", "ß", "ﬁ"]
    pools = [(0.4, cjk), (0.55, cjk_marks), (0.65, ascii_marks), (0.85, words), (0.95, spaces)]
    out = []
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(1, 14)):
            r = rng.random()
            pool = next((p for limit, p in pools if r < limit), odd)
            parts.append(rng.choice(pool))
        out.append("".join(parts))
    return out


@pytest.mark.parametrize("lowercase", [True, False])
def test_tokenization_matches_an_independent_wordpiece(
    zh_engine: Engine, zh_dir: Path, lowercase: bool
) -> None:
    """llama.cpp's WPM on our GGUF = the ``tokenizers`` package's BertWordPiece, on 200 strings
    (do_lower_case true: the UER default) and on 60 more with do_lower_case false."""
    from tokenizers import BertWordPieceTokenizer

    reference = BertWordPieceTokenizer(str(ZH_VOCAB), lowercase=lowercase)
    engine = zh_engine
    if not lowercase:
        src = make_wordpiece_checkpoint(zh_dir / "cased", lowercase=False)
        engine = Engine.load(convert(src, zh_dir / "cased.gguf", "f32"))
    try:
        strings = mixed_strings() if lowercase else mixed_strings(60, seed=11)
        for text in strings:
            want = reference.encode(text, add_special_tokens=False).ids
            assert engine.tokenize(text) == want, text
    finally:
        if engine is not zh_engine:
            engine.close()


def test_generation_stops_at_sep(zh_dir: Path) -> None:
    src = make_wordpiece_checkpoint(zh_dir / "sep", favour="[SEP]")
    engine = Engine.load(convert(src, zh_dir / "sep.gguf", "f32"))
    try:
        assert engine.complete("床前明月光", GREEDY, max_tokens=20) == ""
        assert engine.last_stats.stopped_by == "eot"
        assert engine.last_stats.generated_tokens == 0
    finally:
        engine.close()


def test_streamed_chinese_has_no_decode_spaces(zh_dir: Path) -> None:
    src = make_wordpiece_checkpoint(zh_dir / "moon", favour="月")
    engine = Engine.load(convert(src, zh_dir / "moon.gguf", "f32"))
    try:
        pieces = list(engine.stream(engine.tokenize("床前明"), GREEDY, max_tokens=6))
        assert "".join(pieces) == "月" * 6
        assert engine.complete("", GREEDY, max_tokens=3) == "月" * 3  # a document's start
        assert engine.complete("say hello", GREEDY, max_tokens=2) == " 月月"  # Latin keeps it
        assert engine.detokenize(engine.tokenize("床前明月光，Hello 世")) == "床前明月光，hello"
    finally:
        engine.close()


def _serve(engine: Engine, message: dict[str, object]) -> tuple[dict[str, object], str]:
    """One generate request through the engine process's server, in this process."""
    from models.local.process import EngineServer

    read_end, write_end = os.pipe()
    try:
        server = EngineServer(FrameWriter(write_end))
        server.engine = engine
        server.generate({"op": "generate", "id": 1, **message})
        events = []
        while not events or events[-1]["event"] != "finished":
            frame = read_frame(read_end)
            assert frame is not None
            events.append(frame)
    finally:
        os.close(read_end)
        os.close(write_end)
    started = next(e for e in events if e["event"] == "started")
    text = "".join(str(e["text"]) for e in events if e["event"] == "chunk")
    return started, text


def test_verse_line_breaks_in_and_out(zh_dir: Path) -> None:
    """``line_form: verse``: a line break after an unpunctuated line goes in as "，"; the
    output gets a line break after each "，。！？；"."""
    src = make_wordpiece_checkpoint(zh_dir / "stop", favour="。")
    engine = Engine.load(convert(src, zh_dir / "stop.gguf", "f32"))
    request = {"settings": GREEDY.as_dict(), "max_tokens": 3}
    try:
        spec = to_wire(StorySpec("床前\n明月"))
        started, text = _serve(engine, {**request, "prompt": spec, "line_form": "verse"})
        assert text == "。\n。\n。"
        assert started["facts"]["prompt_tokens"] == 6  # type: ignore[index]  # [CLS]床前，明月
        started, text = _serve(engine, {**request, "prompt": spec})
        assert text == "。。。"
        assert started["facts"]["prompt_tokens"] == 5  # type: ignore[index]
        after_comma = to_wire(StorySpec("床前明月光，"))
        _, text = _serve(engine, {**request, "prompt": after_comma, "line_form": "verse"})
        assert text == "\n。\n。\n。"
    finally:
        engine.close()


def test_catalog_has_the_uer_models_unpinned() -> None:
    zh = {n: s for n, s in catalog.CATALOG.items() if s.language == "zh"}
    assert {s.repo_id for s in zh.values()} == {
        "uer/gpt2-chinese-cluecorpussmall",
        "uer/gpt2-chinese-poem",
        "uer/gpt2-chinese-lyric",
        "uer/gpt2-distil-chinese-cluecorpussmall",
    }
    for spec in zh.values():
        assert spec.vocab == "wordpiece" and spec.language_name == "Chinese"
        assert not spec.pinned and spec.safetensors_sha256 is None and spec.gguf is None
        assert spec.files_to_fetch(["config.json", "vocab.txt", "pytorch_model.bin"]) == (
            "config.json",
            "vocab.txt",
            "pytorch_model.bin",
        )
        listed = ["model.safetensors", "pytorch_model.bin", "tokenizer_config.json"]
        assert spec.files_to_fetch(listed)[-2:] == ("tokenizer_config.json", "model.safetensors")
    for spec in catalog.CATALOG.values():
        if spec.language == "en":
            assert spec.pinned and spec.files_to_fetch() == catalog.OFFICIAL_FILES
    assert catalog.language_of("gpt2-chinese-poem") == "zh"
    assert catalog.language_of("uer--gpt2-chinese-lyric") == "zh"
    assert catalog.language_of("gpt2") == "en" and catalog.language_of("a/b") is None


def test_bad_wordpiece_checkpoints_are_clear_errors(zh_dir: Path) -> None:
    src = make_wordpiece_checkpoint(zh_dir / "bad")
    vocab = zh_vocab()
    (src / "vocab.txt").write_text("\n".join(v for v in vocab if v != "[UNK]") + "\n")
    with pytest.raises(QuillpenError, match=r"no \[UNK\] token"):
        convert(src, zh_dir / "bad.gguf")
    (src / "vocab.txt").write_text("\n".join([*vocab, "extra"]) + "\n")
    with pytest.raises(QuillpenError, match="vocab_size is 351"):
        convert(src, zh_dir / "bad.gguf")
    (src / "model.safetensors").unlink()
    with pytest.raises(QuillpenError, match=r"no model\.safetensors or pytorch_model\.bin"):
        convert(src, zh_dir / "bad.gguf")
    assert list(zh_dir.glob("bad.gguf*")) == []


CASES = [
    (" 床 前 明 月 光 ， 疑 是 地 上 霜 。", "床前明月光，疑是地上霜。"),
    (" 我 爱 python ！", "我爱 python！"),
    (" “ 你 好 ” ， 他 说 。", "“你好”，他说。"),
    (" hello world , ok . ( yes )", "hello world, ok. (yes)"),
    (" 2024 年 3 月", "2024 年 3 月"),
    (" 《 静 夜 思 》 — — 李 白", "《静夜思》——李白"),
    (" 达 · 芬 奇", "达·芬奇"),
    (" 龍 , 鳳 .", "龍,鳳."),
    (" a b c", "a b c"),
    ("", ""),
]


@pytest.mark.parametrize("raw,clean", CASES)
def test_cjk_decode_spacing(raw: str, clean: str) -> None:
    from models.prompting.cjk import CjkJoiner

    assert join_cjk(raw) == clean
    joiner = CjkJoiner()  # streamed one character at a time, the result is the same
    assert "".join(joiner.feed(ch) for ch in raw) + joiner.flush() == clean


def test_line_mapping_keeps_offsets_and_restores_lines() -> None:
    from models.prompting.cjk import restore_lines, to_model_text

    poem = "床前明月光，\n疑是地上霜\n\n举头望明月\n"
    mapped = to_model_text(poem, "verse")
    assert mapped == "床前明月光， 疑是地上霜， 举头望明月，"
    assert len(mapped) == len(poem)
    assert to_model_text(poem, "prose") == poem
    assert restore_lines("疑是地上霜。举头望明月，低头思故乡。") == (
        "疑是地上霜。\n举头望明月，\n低头思故乡。"
    )
    assert restore_lines("“好。”他说。", previous="") == "“好。”\n他说。"
    assert restore_lines("疑是", previous="床前明月光，") == "\n疑是"
    assert restore_lines("疑是", previous="床前明月光，\n") == "疑是"
    assert restore_lines("a，b", form="prose") == "a，b"
