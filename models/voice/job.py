"""What one training run is asked to do (``job.json`` in its work folder)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from models.errors import QuillpenError

DEFAULT_LR = {"lora": 5e-4, "full": 5e-5}


@dataclass(frozen=True)
class Job:
    base_dir: str
    full: bool = False
    rank: int = 16
    alpha: float = 32.0
    lr: float = DEFAULT_LR["lora"]
    epochs: float = 3.0
    minutes: float = 0.0
    """A budget of training time (0: none); it counts across resumes."""
    seq: int = 256
    eval_every: int = 50
    eval_windows: int = 16
    patience: int = 3
    """Evaluations without a better held-out loss before stopping early (0: never)."""
    sample_every: int = 0
    checkpoint_seconds: float = 120.0
    seed: int = 0
    resume: bool = False
    nice: int = 10
    device: str = "auto"
    vocab: str = ""
    """A GGUF file whose vocabulary decodes samples (the base model's)."""

    def write(self, workdir: Path) -> None:
        path = workdir / "job.json"
        partial = path.with_name("job.json.partial")
        try:
            partial.write_text(json.dumps(asdict(self), indent=1), encoding="utf-8")
            partial.replace(path)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise QuillpenError(f"could not write {path}: {exc.strerror or exc}") from None

    @classmethod
    def read(cls, workdir: Path) -> Job:
        raw = json.loads((workdir / "job.json").read_text(encoding="utf-8"))
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in raw.items() if k in known})
