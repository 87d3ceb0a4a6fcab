"""Known GPT-2 models: official Hub repos pinned to a commit, and community GGUF builds."""

from __future__ import annotations

from dataclasses import dataclass, field

from models.errors import QuillpenError

QUANTS = ("Q4_K_M", "Q5_K_M", "Q8_0", "F16")
DEFAULT_QUANT = "Q4_K_M"
DEFAULT_MODEL = "gpt2"

# Files of an official checkpoint that the converter reads (nothing else is downloaded).
OFFICIAL_FILES = ("config.json", "model.safetensors", "vocab.json", "merges.txt")


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

    @property
    def k_quants_ok(self) -> bool:
        """K-quants need rows that are a multiple of 256."""
        return self.n_embd % 256 == 0


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


def normalize_quant(quant: str) -> str:
    """``q4_k_m`` → ``Q4_K_M``; unknown types are a clear error."""
    upper = quant.upper()
    if upper not in (*QUANTS, "F32"):
        raise QuillpenError(f"unknown quantization {quant!r}: choose one of {', '.join(QUANTS)}")
    return upper
