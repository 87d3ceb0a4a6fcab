"""Known GPT-2 models: official Hub repos pinned to a commit, and community GGUF builds.

The Chinese GPT-2 models (UER, BERT WordPiece vocabulary) are not pinned: no public source
we can check gives their commits or file hashes, and a wrong pin would break every pull. They
are fetched at ``main`` and each LFS file is checked against the sha256 the Hub advertises.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field

from models.errors import QuillpenError

QUANTS = ("Q4_K_M", "Q5_K_M", "Q8_0", "F16")
DEFAULT_QUANT = "Q4_K_M"
DEFAULT_MODEL = "gpt2"

# Files of an official checkpoint that the converter reads (nothing else is downloaded).
OFFICIAL_FILES = ("config.json", "model.safetensors", "vocab.json", "merges.txt")
# A GPT-2 with a BERT WordPiece vocabulary: always these, then the weights (safetensors if
# the repo has them, else pytorch_model.bin) and the tokenizer settings the repo has.
WORDPIECE_FILES = ("config.json", "vocab.txt")
WORDPIECE_OPTIONAL = ("tokenizer_config.json", "special_tokens_map.json")
LANGUAGES = {"en": "English", "zh": "Chinese"}
_COMMIT = re.compile(r"[0-9a-f]{40}")


@dataclass(frozen=True)
class GgufFile:
    """One ready GGUF file in a community repo; ``sha256`` is checked after download."""

    filename: str
    sha256: str | None = None


@dataclass(frozen=True)
class GgufSource:
    repo_id: str
    revision: str
    files: dict[str, GgufFile] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelSpec:
    """A catalog entry: the official checkpoint and, optionally, a ready GGUF repo."""

    name: str
    repo_id: str
    revision: str
    params: str
    n_embd: int
    safetensors_sha256: str | None = None
    gguf: GgufSource | None = None
    language: str = "en"
    """ISO 639-1 code of the language the model writes ("en", "zh")."""
    vocab: str = "bpe"
    """"bpe" (GPT-2's vocab.json + merges.txt) or "wordpiece" (BERT's vocab.txt)."""

    @property
    def pinned(self) -> bool:
        """Whether ``revision`` is a commit (not a branch such as ``main``)."""
        return bool(_COMMIT.fullmatch(self.revision))

    @property
    def language_name(self) -> str:
        return LANGUAGES.get(self.language, self.language)

    def files_to_fetch(self, available: Collection[str] | None = None) -> tuple[str, ...]:
        """The checkpoint files to download, given the repo's file list (None: unknown)."""
        return checkpoint_files(self.vocab, available)


def checkpoint_vocab(files: Collection[str]) -> str | None:
    """What a repo's file list holds: a GPT-2 checkpoint with a "bpe" or a "wordpiece"
    vocabulary, or (None) no checkpoint quillpen converts."""
    have = set(files)
    if "config.json" not in have:
        return None
    weights = have & {"model.safetensors", "pytorch_model.bin"}
    if "vocab.txt" in have and "vocab.json" not in have and weights:
        return "wordpiece"
    return "bpe" if "model.safetensors" in have else None


def checkpoint_files(vocab: str, available: Collection[str] | None = None) -> tuple[str, ...]:
    """The files to download for a checkpoint with ``vocab``, given the repo's file list."""
    if vocab != "wordpiece":
        return OFFICIAL_FILES
    have = set(available or ())
    weights = "model.safetensors" if "model.safetensors" in have else "pytorch_model.bin"
    optional = tuple(f for f in WORDPIECE_OPTIONAL if f in have)
    return (*WORDPIECE_FILES, *optional, weights)


CATALOG: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            "gpt2",
            "openai-community/gpt2",
            "607a30d783dfa663caf39e06633721c8d4cfcd7e",
            "124M",
            768,
            safetensors_sha256="248dfc3911869ec493c76e65bf2fcf7f615828b0254c12b473182f0f81d3a707",
            gguf=GgufSource(
                "mradermacher/gpt2-GGUF",
                "0cda0c2b1459ccd32256c6ddde9d230934112c1c",
                {
                    "Q8_0": GgufFile(
                        "gpt2.Q8_0.gguf",
                        "9ab5d3c0b9ac838651c2bfd2db2d5b75d40077562557ccd23fca9569bdc2eee0",
                    )
                },
            ),
        ),
        ModelSpec(
            "distilgpt2",
            "distilbert/distilgpt2",
            "2290a62682d06624634c1f46a6ad5be0f47f38aa",
            "82M",
            768,
            gguf=GgufSource(
                "QuantFactory/distilgpt2-GGUF",
                "b41ee4e4e4949dba1b3bed4f89a87198b82f851b",
                {"Q8_0": GgufFile("distilgpt2.Q8_0.gguf")},
            ),
        ),
        ModelSpec(
            "gpt2-medium",
            "openai-community/gpt2-medium",
            "6dcaa7a952f72f9298047fd5137cd6e4f05f41da",
            "355M",
            1024,
            gguf=GgufSource(
                "mradermacher/gpt2-medium-GGUF",
                "3b9897d67a84e967fbcc8d7de3db4c797e386740",
                {"Q8_0": GgufFile("gpt2-medium.Q8_0.gguf")},
            ),
        ),
        ModelSpec(
            "gpt2-large",
            "openai-community/gpt2-large",
            "32b71b12589c2f8d625668d2335a01cac3249519",
            "774M",
            1280,
            gguf=GgufSource(
                "mradermacher/gpt2-large-GGUF",
                "c83630987bcee4945f3e947b1977c70e6b2760a1",
                {"Q8_0": GgufFile("gpt2-large.Q8_0.gguf")},
            ),
        ),
        ModelSpec(
            "gpt2-xl",
            "openai-community/gpt2-xl",
            "15ea56dee5df4983c59b2538573817e1667135e2",
            "1.5B",
            1600,
            gguf=GgufSource(
                "mradermacher/gpt2-xl-GGUF",
                "a6a1b25a992d7541b185b0cd1227b47311f4eab6",
                {"Q8_0": GgufFile("gpt2-xl.Q8_0.gguf")},
            ),
        ),
        ModelSpec(
            "gpt2-chinese",
            "uer/gpt2-chinese-cluecorpussmall",
            "main",
            "102M",
            768,
            language="zh",
            vocab="wordpiece",
        ),
        ModelSpec(
            "gpt2-chinese-poem",
            "uer/gpt2-chinese-poem",
            "main",
            "103M",
            768,
            language="zh",
            vocab="wordpiece",
        ),
        ModelSpec(
            "gpt2-chinese-lyric",
            "uer/gpt2-chinese-lyric",
            "main",
            "102M",
            768,
            language="zh",
            vocab="wordpiece",
        ),
        ModelSpec(
            "gpt2-chinese-distil",
            "uer/gpt2-distil-chinese-cluecorpussmall",
            "main",
            "60M",
            768,
            language="zh",
            vocab="wordpiece",
        ),
    )
}


def get(name: str) -> ModelSpec:
    """The catalog entry for ``name`` or a clear error listing the known names."""
    try:
        return CATALOG[name]
    except KeyError:
        known = ", ".join(CATALOG)
        raise QuillpenError(
            f"unknown model {name!r}: known models are {known}; "
            "a Hub repo id (owner/name), owner/name:file.gguf or a local .gguf path also work"
        ) from None


def language_of(name: str) -> str | None:
    """The language code of a catalog model or of a local model named after one, else None."""
    spec = CATALOG.get(name) or next(
        (s for s in CATALOG.values() if name in (s.repo_id, s.repo_id.replace("/", "--"))), None
    )
    return spec.language if spec else None


def normalize_quant(quant: str) -> str:
    """``q4_k_m`` → ``Q4_K_M``; unknown types are a clear error."""
    upper = quant.upper()
    if upper not in (*QUANTS, "F32"):
        raise QuillpenError(f"unknown quantization {quant!r}: choose one of {', '.join(QUANTS)}")
    return upper
