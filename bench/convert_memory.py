"""Peak memory of converting a gpt2-small-shaped checkpoint, as a ratio to its size.

    uv run python bench/convert_memory.py [--type f16]

The converter streams tensor by tensor; the issue's bound is ≤ 2× the checkpoint size.
Each conversion runs in a fresh subprocess so its peak RSS (VmHWM, reset by exec unlike
ru_maxrss) is its own; the baseline is the same subprocess importing everything.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHILD = """
import sys
sys.path[:0] = [{root!r}]
from pathlib import Path
from models.hub.convert import convert
import gguf, safetensors, numpy
if {do!r}:
    convert(Path({src!r}), Path({out!r}), {kind!r})
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0]
print(int(hwm.split()[1]) * 1024)
"""


def peak(src: Path, out: Path, kind: str, do: bool) -> int:
    code = CHILD.format(root=str(ROOT), src=str(src), out=str(out), kind=kind, do=do)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(res.stdout.strip().splitlines()[-1])


def main() -> None:
    sys.path[:0] = [str(ROOT)]
    from tests.support.tinymodel import make_checkpoint

    ap = argparse.ArgumentParser()
    ap.add_argument("--type", default="f16", choices=("f32", "f16", "q8_0"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src = make_checkpoint(Path(tmp) / "ckpt", n_embd=768, n_layer=12, n_head=12)
        size = (src / "model.safetensors").stat().st_size
        base = peak(src, Path(tmp) / "x.gguf", args.type, False)
        used = peak(src, Path(tmp) / "x.gguf", args.type, True)
        print(f"checkpoint {size / 1e6:.0f} MB (gpt2-small shape), output type {args.type}")
        print(f"peak RSS: {used / 1e6:.0f} MB; imports alone {base / 1e6:.0f} MB")
        print(f"conversion's own peak / checkpoint size: {(used - base) / size:.2f} (bound: 2.00)")
        print(f"whole process peak / checkpoint size:    {used / size:.2f}")


if __name__ == "__main__":
    main()
