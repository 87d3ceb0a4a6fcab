"""Reading the base weights, and saving training state atomically (numpy archives, no pickle).

A state file is ``name.npz``: the leaves of a JAX tree, in order, and (as bytes) a JSON object
with the step, losses and clock. It is written to a ``.partial`` file, flushed to disk and
renamed, so a kill at any moment leaves the previous complete file. A write that fails (a full
disk) removes its partial files and raises a clear error: the previous checkpoint survives.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from models.errors import QuillpenError
from models.hub import convert


def load_base(src: Path) -> tuple[convert.GPT2Config, dict[str, np.ndarray]]:
    """The checkpoint's config and its weights by Hub name, float32, masks left out."""
    config = convert.GPT2Config.read(src / "config.json")
    weights: dict[str, np.ndarray] = {}
    expected = config.expected_shapes()
    with convert.open_weights(convert.weights_file(src)) as st:
        for name in st.keys():  # noqa: SIM118 (not a dict)
            hub = name.removeprefix("transformer.")
            if hub in expected:
                weights[hub] = np.asarray(st.tensor(name), dtype=np.float32)
    missing = sorted(set(expected) - set(weights))
    if missing:
        raise QuillpenError(f"{src}: checkpoint is missing tensors: {', '.join(missing[:3])}")
    return config, weights


def _write(path: Path, write: Any) -> None:
    partial = path.with_name(path.name + ".partial")
    try:
        with partial.open("wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(partial, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise QuillpenError(
            f"could not write {path}: {exc.strerror or exc} (is the disk full?); "
            "the previous checkpoint is kept"
        ) from None


def save(folder: Path, name: str, leaves: list[Any], info: dict[str, Any]) -> None:
    """Write ``name.npz`` (the arrays and, as bytes, ``info``) atomically."""
    arrays = {f"a{i}": np.asarray(leaf) for i, leaf in enumerate(leaves)}
    meta = np.frombuffer(json.dumps({**info, "leaves": len(leaves)}).encode(), np.uint8)
    arrays["info"] = meta
    _write(folder / f"{name}.npz", lambda fh: np.savez(fh, **arrays))  # type: ignore[arg-type]


def load(folder: Path, name: str) -> tuple[list[np.ndarray], dict[str, Any]] | None:
    """The leaves and info saved as ``name``, or None when there is none."""
    path = folder / f"{name}.npz"
    if not path.is_file():
        return None
    with np.load(path) as data:
        info: dict[str, Any] = json.loads(bytes(data["info"]).decode())
        leaves = [np.array(data[f"a{i}"]) for i in range(int(info["leaves"]))]
    return leaves, info
