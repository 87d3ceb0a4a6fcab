"""The local model cache: what is ready to load, finding a model by name, removing one."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from models import locations
from models.errors import QuillpenError
from models.hub import catalog
from models.hub.download import model_path, safe_name

QUANT_ORDER = ("Q4_K_M", "Q5_K_M", "Q5_1", "Q5_0", "Q8_0", "F16", "F32")


@dataclass(frozen=True)
class LocalModel:
    name: str
    quant: str
    path: Path
    size: int

    @property
    def size_text(self) -> str:
        return human_size(self.size)


def human_size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"


def list_local() -> list[LocalModel]:
    """Every complete .gguf in the models folder (partial files are ignored)."""
    found: list[LocalModel] = []
    for path in sorted(locations.models_dir().glob("*/*.gguf")):
        name, _, quant = path.stem.rpartition(".")
        if quant == "adapter":  # a voice's LoRA adapter, not a model of its own
            continue
        found.append(LocalModel(name or path.stem, quant, path, path.stat().st_size))
    return found


def find_local(name: str, quant: str | None = None) -> Path | None:
    """The cached file for ``name``: ``quant`` if given, else the smallest usual quant."""
    if quant:
        path = model_path(name, catalog.normalize_quant(quant))
        return path if path.exists() else None
    candidates = [m for m in list_local() if m.name == safe_name(name)]
    if not candidates:
        return None
    rank = {q: i for i, q in enumerate(QUANT_ORDER)}
    return min(candidates, key=lambda m: rank.get(m.quant, len(rank))).path


def resolve(reference: str, quant: str | None = None) -> Path:
    """A loadable file for ``--model``: a .gguf path, or a model already pulled."""
    path = Path(reference).expanduser()
    repo_id, colon, filename = reference.partition(":")
    hub_file = colon and repo_id.count("/") == 1 and not repo_id.startswith((".", "/", "~"))
    if hub_file and not path.exists():  # owner/name:file.gguf, as `models pull` stored it
        pulled = model_path(repo_id, Path(filename).stem)
        if not pulled.exists():
            raise QuillpenError(
                f"model {reference!r} is not downloaded yet: run `quillpen models pull {reference}`"
            )
        return pulled
    if reference.endswith(".gguf") or path.exists():
        if not path.exists():
            raise QuillpenError(f"{path}: no such model file")
        return path
    found = find_local(reference, quant)
    if found is None and "/" not in reference and ":" not in reference:
        catalog.get(reference)  # unknown names (not a local model, e.g. a voice) get the list
    if found is None:
        raise QuillpenError(
            f"model {reference!r} is not downloaded yet: run `quillpen models pull {reference}`"
        )
    return found


def remove(name: str) -> list[Path]:
    """Delete a model's GGUF files and its downloaded weights; returns what was removed."""
    removed: list[Path] = []
    models = locations.models_dir()
    folder = models / safe_name(name)
    if safe_name(name) in (".", "..") or folder.resolve().parent != models.resolve():
        raise QuillpenError(f"{name!r} is not a model name (see `quillpen models list`)")
    for place in (folder, locations.cache_dir() / "voice" / safe_name(name)):  # a voice's work
        if place.is_dir():
            removed.append(place)
            shutil.rmtree(place)
    spec = catalog.CATALOG.get(name)
    repos = {spec.repo_id, spec.gguf.repo_id if spec.gguf else ""} if spec else {name}
    for repo in filter(None, repos):
        hub_folder = locations.hub_dir() / ("models--" + repo.replace("/", "--"))
        if hub_folder.is_dir():
            removed.append(hub_folder)
            shutil.rmtree(hub_folder)
    if not removed:
        raise QuillpenError(f"no local model named {name!r} (see `quillpen models list`)")
    return removed
