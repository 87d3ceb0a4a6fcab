"""Sampler settings and presets as plain dataclasses."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any


@dataclass(frozen=True)
class SamplerSettings:
    """How the next token is drawn. Defaults suit GPT-2 for prose."""

    temperature: float = 0.8
    top_k: int = 40
    top_p: float = 0.95
    min_p: float = 0.05
    repeat_penalty: float = 1.15
    repeat_last_n: int = 256
    seed: int | None = None

    def with_(self, **changes: Any) -> SamplerSettings:
        """A copy with some fields changed; ``None`` values are ignored."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


PRESETS: dict[str, SamplerSettings] = {
    "balanced": SamplerSettings(),
    "focused": SamplerSettings(temperature=0.6, top_k=30, top_p=0.9, repeat_penalty=1.18),
    "creative": SamplerSettings(temperature=1.0, top_k=60, top_p=0.97, min_p=0.03),
    "poetic": SamplerSettings(temperature=0.9, top_k=50, top_p=0.95, repeat_penalty=1.2),
    "factual": SamplerSettings(temperature=0.4, top_k=20, top_p=0.85, repeat_penalty=1.1),
}


def preset(name: str) -> SamplerSettings:
    """A named preset; unknown names fall back to ``balanced``."""
    return PRESETS.get(name, PRESETS["balanced"])
