"""Chat prompts for a base model: transcript structure, fitting to the window, chat templates."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from models.local.chat_format import render_chat
from models.local.engine import Engine
from models.local.gguf_info import read_info
from models.prompting.chat_prompt import build_chat_prompt
from models.prompting.transcript import (
    EXAMPLES,
    HEADER,
    STOP,
    TEMPLATE_STOP,
    ChatPrompt,
    Turn,
    clean_reply,
    tail_text,
)

CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
NO_SYSTEM = (
    "{% for m in messages %}{% if m['role'] == 'system' %}"
    "{{ raise_exception('System role not supported') }}{% endif %}"
    "[{{ m['role'] }}] {{ m['content'] }}{{ eos_token }}\n"
    "{% endfor %}{% if add_generation_prompt %}[assistant]{% endif %}"
)


def history(n: int, words: int = 5) -> list[Turn]:
    """``n`` exchanges, numbered so tests can tell which survived."""
    turns = []
    for i in range(n):
        turns.append(Turn("user", f"question {i}: " + "why " * words))
        turns.append(Turn("assistant", f"answer {i}: " + "because " * words))
    return turns


def fits(engine: Engine, prompt: ChatPrompt, max_new: int) -> bool:
    return len(prompt.tokens) <= engine.n_ctx_train - max_new


def test_structure(tiny_engine: Engine) -> None:
    turns = [Turn("user", "Hi there"), Turn("assistant", "Hello! How can I help?")]
    p = build_chat_prompt(tiny_engine, turns, "Is my title good?", draft=None, max_new=100)
    lines = p.text.splitlines()
    assert lines[0] == HEADER
    assert p.text.endswith("\nUser: Is my title good?\nAssistant:")
    assert not p.text.endswith(" ")
    for q, a in EXAMPLES:
        assert f"User: {q}\nAssistant: {a}\n" in p.text
    assert "User: Hi there\nAssistant: Hello! How can I help?\nUser: Is my title good?" in p.text
    assert p.stop == STOP == ("\nUser:", "\nAssistant:")
    assert p.dropped_turns == 0 and p.examples == len(EXAMPLES) and not p.templated
    assert p.tokens == tiny_engine.tokenize(p.text)
    assert p.draft_tokens == 0 and "draft" not in p.text


def test_draft_tail_at_sentence_boundary(tiny_engine: Engine) -> None:
    draft = "".join(f"Sentence number {i} is here. " for i in range(400)) + "The last one."
    p = build_chat_prompt(tiny_engine, [], "Thoughts?", draft=draft, max_new=100)
    assert fits(tiny_engine, p, 100)
    assert 200 <= p.draft_tokens <= 300
    assert "The last one.\n[End of draft.]" in p.text
    start = p.text.index("[The end of the writer's draft:]\n") + len(
        "[The end of the writer's draft:]\n"
    )
    assert p.text[start:].startswith("Sentence number ")  # a whole sentence, not a fragment
    # the draft goes before the conversation
    assert p.text.index("[End of draft.]") < p.text.index("User: Thoughts?")


def test_short_draft_is_whole(tiny_engine: Engine) -> None:
    p = build_chat_prompt(tiny_engine, [], "Thoughts?", draft="  A tiny draft.\n", max_new=100)
    assert "[The end of the writer's draft:]\nA tiny draft.\n[End of draft.]" in p.text


def test_old_turns_dropped_first(tiny_engine: Engine) -> None:
    turns = history(40, words=20)  # ~2000 tokens of history
    draft = "The rain fell. " * 100
    p = build_chat_prompt(tiny_engine, turns, "And now?", draft=draft, max_new=200)
    assert fits(tiny_engine, p, 200)
    assert p.dropped_turns > 0 and p.dropped_turns % 2 == 0  # whole exchanges
    assert "question 0:" not in p.text
    assert "question 39:" in p.text and "answer 39:" in p.text  # the newest stay
    kept = [i for i in range(40) if f"question {i}:" in p.text]
    assert kept == list(range(40 - len(kept), 40))  # a contiguous, newest run
    assert p.draft_tokens > 0  # the draft and examples survive while turns can go
    assert p.examples == len(EXAMPLES)
    assert p.text.endswith("User: And now?\nAssistant:")


def test_huge_everything_fits(tiny_engine: Engine) -> None:
    turns = history(30, words=200)
    draft = "It was a dark and stormy night. " * 3000
    message = "Please read this: " + "very " * 3000 + "THE END"
    for max_new in (1, 80, 200, 600, 5000):
        p = build_chat_prompt(tiny_engine, turns, message, draft=draft, max_new=max_new)
        assert len(p.tokens) <= tiny_engine.n_ctx_train - min(max_new, tiny_engine.n_ctx_train - 1)
        assert p.dropped_turns == len(turns)
        assert p.draft_tokens == 0 and p.examples == 0
        if max_new <= 600:
            assert p.text.endswith("THE END\nAssistant:")  # the message's end is kept


def test_long_message_drops_draft_then_examples(tiny_engine: Engine) -> None:
    message = "word " * 700  # fits alone, not with the draft and all the examples
    p = build_chat_prompt(tiny_engine, history(3), message, draft="Rain. " * 500, max_new=200)
    assert fits(tiny_engine, p, 200)
    assert p.dropped_turns == 6
    assert p.draft_tokens == 0
    assert 0 < p.examples < len(EXAMPLES)
    assert "User: " + message.strip() + "\nAssistant:" in p.text  # the message is whole
    assert p.text.startswith(HEADER)


def test_draft_shrinks_before_examples_go(tiny_engine: Engine) -> None:
    message = "word " * 380
    draft = "".join(f"Line {i} ends here. " for i in range(300))
    p = build_chat_prompt(tiny_engine, [], message, draft=draft, max_new=300)
    assert fits(tiny_engine, p, 300)
    assert 0 < p.draft_tokens < 300
    assert p.examples == len(EXAMPLES)


def test_tail_text() -> None:
    class Chars:
        n_ctx_train = 100

        @property
        def info(self) -> None:
            return None

        def tokenize(self, text: str) -> list[int]:
            return [ord(c) for c in text]  # one token a character

    tok = Chars()
    text = "First sentence here. Second one. Third!"
    assert tail_text(tok, text, 100) == text  # type: ignore[arg-type]
    assert tail_text(tok, text, 20) == "Second one. Third!"  # type: ignore[arg-type]
    assert tail_text(tok, "nospaceatall" * 5, 7) == "ceatall"  # type: ignore[arg-type]
    assert tail_text(tok, "some words without any stop", 10) == "any stop"  # type: ignore[arg-type]
    assert tail_text(tok, text, 0) == ""  # type: ignore[arg-type]


def test_clean_reply() -> None:
    assert clean_reply(" Hello there.") == "Hello there."
    assert clean_reply(" Try this.\nUs") == "Try this."
    assert clean_reply(" Try this.\nUser") == "Try this."
    assert clean_reply(" Try this.\nAssistant:") == "Try this."
    assert clean_reply("Fine. User:") == "Fine."
    assert clean_reply("A user manual is fine.") == "A user manual is fine."
    assert clean_reply("  \n ") == ""


# Chat templates ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chatml_engine(tiny_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from models.hub.convert import convert

    path = convert(
        tiny_checkpoint,
        tmp_path_factory.mktemp("chatml") / "tiny-chat.gguf",
        "q8_0",
        chat_template=CHATML,
    )
    engine = Engine.load(path)
    yield engine
    engine.close()


def test_convert_writes_chat_template(chatml_engine: Engine) -> None:
    assert read_info(chatml_engine.info.path).chat_template == CHATML
    assert chatml_engine.info.chat_template == CHATML


def test_chat_template_used(chatml_engine: Engine) -> None:
    turns = [Turn("user", "Hi"), Turn("assistant", "Hello!")]
    p = build_chat_prompt(chatml_engine, turns, "Help me.", draft="It rained.", max_new=100)
    assert p.templated
    assert p.text.startswith("<|im_start|>system\nYou are a helpful writing assistant.")
    assert "It rained." in p.text
    assert p.text.endswith(
        "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n"
        "<|im_start|>user\nHelp me.<|im_end|>\n<|im_start|>assistant\n"
    )
    assert p.stop == TEMPLATE_STOP
    assert "<|im_end|>" in p.stop
    assert "User:" not in p.text  # not the transcript format


def test_chat_template_fitted_by_dropping_old_turns(chatml_engine: Engine) -> None:
    turns = history(40, words=20)
    p = build_chat_prompt(chatml_engine, turns, "Last question?", draft=None, max_new=200)
    assert p.templated and fits(chatml_engine, p, 200)
    assert p.dropped_turns > 0 and p.dropped_turns % 2 == 0
    assert "question 0:" not in p.text and "answer 39:" in p.text
    assert p.text.endswith("<|im_start|>user\nLast question?<|im_end|>\n<|im_start|>assistant\n")
    huge = build_chat_prompt(chatml_engine, turns, "x " * 5000 + "END", max_new=200)
    assert fits(chatml_engine, huge, 200) and huge.dropped_turns == len(turns)


@dataclass
class _Info:
    chat_template: str | None


@dataclass
class _FakeTok:
    """An Engine stand-in sharing the real tokenizer, with any template."""

    engine: Engine
    info: _Info

    @property
    def n_ctx_train(self) -> int:
        return self.engine.n_ctx_train

    def tokenize(self, text: str) -> list[int]:
        return self.engine.tokenize(text)

    def render_chat(self, messages: list[dict[str, str]]) -> str:
        assert self.info.chat_template is not None
        return render_chat(self.info.chat_template, messages)


def test_template_without_system_role(tiny_engine: Engine) -> None:
    tok = _FakeTok(tiny_engine, _Info(NO_SYSTEM))
    p = build_chat_prompt(tok, [], "Hello", draft=None, max_new=50)
    assert p.templated
    assert p.text.startswith("[user] You are a helpful writing assistant.")
    assert p.text.endswith("Hello<|endoftext|>\n[assistant]")
    assert 50256 in p.tokens  # eos_token became the special token, not text


def test_broken_template_falls_back_to_transcript(tiny_engine: Engine) -> None:
    tok = _FakeTok(tiny_engine, _Info("{% for m in messages %}{{ m.content.__class__ }}"))
    p = build_chat_prompt(tok, [], "Hello", draft=None, max_new=50)
    assert not p.templated and p.text.endswith("User: Hello\nAssistant:")
    tok = _FakeTok(tiny_engine, _Info("{{ ''.__class__.__mro__[1].__subclasses__() }}"))
    assert not build_chat_prompt(tok, [], "Hi", max_new=50).templated  # the sandbox refuses
