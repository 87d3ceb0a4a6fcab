"""A BERT WordPiece vocabulary (``vocab.txt``, BertTokenizer) in llama.cpp's WordPiece form.

llama.cpp picks its tokenizer from ``tokenizer.ggml.model`` alone, so a GPT-2 whose vocabulary
is BERT's (the UER Chinese models) loads as ``general.architecture = gpt2`` with a ``bert``
vocabulary. Its WordPiece tokenizer (WPM) expects the tokens spelled as llama.cpp's own
converter (``BertModel.set_vocab``) writes them:

- a word-start piece gains the U+2581 prefix (``月`` → ``▁月``, ``hello`` → ``▁hello``);
- a continuation piece loses its ``##`` (``##ing`` → ``ing``);
- control tokens (``[CLS]``, ``[SEP]``, ``[UNK]``, ``[PAD]``, ``[MASK]``) stay as they are.

For generation the prompt starts with ``[CLS]`` (UER's training documents do) and nothing is
appended: ``add_bos_token`` is true, ``add_sep_token`` false, and ``[SEP]`` (the end of a
training document) is also written as the end-of-sequence token, so llama.cpp stops there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gguf

from models.errors import QuillpenError

WORD_START = "\u2581"
CONTINUATION = "##"
# The BertTokenizer's special tokens and the names its config files use for them.
SPECIAL_NAMES = {
    "pad": "[PAD]",
    "unk": "[UNK]",
    "cls": "[CLS]",
    "sep": "[SEP]",
    "mask": "[MASK]",
}
REQUIRED = ("unk", "cls", "sep")
LOWERCASE_KEY = "tokenizer.ggml.normalizer.lowercase"
STRIP_ACCENTS_KEY = "tokenizer.ggml.normalizer.strip_accents"


@dataclass(frozen=True)
class WordPieceVocab:
    """Tokens in llama.cpp's form, in id order, with their types and the special ids."""

    tokens: list[str]
    types: list[int]
    special: dict[str, int]
    lowercase: bool
    strip_accents: bool

    @property
    def bos(self) -> int:
        return self.special["cls"]

    @property
    def sep(self) -> int:
        return self.special["sep"]

    def add_to_gguf(self, writer: gguf.GGUFWriter) -> None:
        """Write the tokenizer's keys (everything llama.cpp's WPM tokenizer reads)."""
        writer.add_tokenizer_model("bert")
        writer.add_token_list(self.tokens)
        writer.add_token_types(self.types)
        writer.add_token_type_count(1)
        writer.add_bos_token_id(self.special["cls"])  # llama.cpp's CLS is its BOS
        writer.add_eos_token_id(self.special["sep"])
        writer.add_sep_token_id(self.special["sep"])
        writer.add_unk_token_id(self.special["unk"])
        if "pad" in self.special:
            writer.add_pad_token_id(self.special["pad"])
        if "mask" in self.special:
            writer.add_mask_token_id(self.special["mask"])
        writer.add_add_bos_token(True)
        writer.add_add_eos_token(False)
        writer.add_add_sep_token(False)
        writer.add_bool(LOWERCASE_KEY, self.lowercase)
        writer.add_bool(STRIP_ACCENTS_KEY, self.strip_accents)


def is_wordpiece(src: Path) -> bool:
    """Whether the checkpoint in ``src`` has a BERT WordPiece vocabulary (not GPT-2's BPE)."""
    return (src / "vocab.txt").is_file() and not (src / "vocab.json").is_file()


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise QuillpenError(f"{path}: not valid JSON ({exc})") from None
    return data if isinstance(data, dict) else {}


def _token_name(value: Any) -> str | None:
    """A special token as tokenizer_config.json / special_tokens_map.json spell it."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("content"), str):
        return str(value["content"])
    return None


def llama_form(token: str, control: bool) -> str:
    """``token`` as llama.cpp's WPM tokenizer looks it up."""
    if control:
        return token
    if token.startswith(CONTINUATION) and len(token) > len(CONTINUATION):
        return token[len(CONTINUATION) :]
    return WORD_START + token


def read_vocab(src: Path, n_vocab: int) -> WordPieceVocab:
    """``vocab.txt`` (one token a line, id = line number) plus the tokenizer's settings.

    ``tokenizer_config.json`` gives ``do_lower_case`` (BertTokenizer's default: true) and
    ``strip_accents`` (default: as lowercase); it and ``special_tokens_map.json`` may rename
    the special tokens. Ids past the end of vocab.txt (a padded embedding) are unused tokens.
    """
    path = src / "vocab.txt"
    try:
        lines = path.read_text(encoding="utf-8").split("\n")
    except FileNotFoundError:
        raise QuillpenError(f"{src}: missing tokenizer file vocab.txt") from None
    except UnicodeDecodeError as exc:
        raise QuillpenError(f"{path}: not UTF-8 ({exc})") from None
    if lines and lines[-1] == "":
        lines.pop()
    words = [line.rstrip("\r") for line in lines]
    if not words:
        raise QuillpenError(f"{path}: the vocabulary is empty")
    if len(words) > n_vocab:
        raise QuillpenError(
            f"{path}: {len(words)} tokens, but config.json's vocab_size is {n_vocab}"
        )
    config = _read_json(src / "tokenizer_config.json")
    names = dict(SPECIAL_NAMES)
    for source in (_read_json(src / "special_tokens_map.json"), config):
        for kind in SPECIAL_NAMES:
            name = _token_name(source.get(f"{kind}_token"))
            if name:
                names[kind] = name
    ids: dict[str, int] = {}
    for i, word in enumerate(words):
        ids[word] = i  # a repeated line: the last one wins, as in BertTokenizer
    special = {kind: ids[name] for kind, name in names.items() if name in ids}
    missing = [names[k] for k in REQUIRED if k not in special]
    if missing:
        raise QuillpenError(f"{path}: no {', '.join(missing)} token in the vocabulary")
    control = set(special.values())
    tokens: list[str] = []
    types: list[int] = []
    for i in range(n_vocab):
        if i < len(words):
            tokens.append(llama_form(words[i], i in control))
            types.append(gguf.TokenType.CONTROL if i in control else gguf.TokenType.NORMAL)
        else:
            tokens.append(f"[PAD{i}]")
            types.append(gguf.TokenType.UNUSED)
    lowercase = bool(config.get("do_lower_case", True))
    strip = config.get("strip_accents")
    return WordPieceVocab(
        tokens=tokens,
        types=types,
        special=special,
        lowercase=lowercase,
        strip_accents=lowercase if strip is None else bool(strip),
    )
