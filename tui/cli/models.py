"""`quillpen models` and `quillpen doctor`: the model cache, conversion, this machine."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from models.hub import catalog
from tui import __version__
from tui.cli.common import _repack_setting

if TYPE_CHECKING:
    pass


def cmd_models(args: argparse.Namespace) -> int:
    from models.hub import cache as store
    from models.hub import download as hub

    if args.action == "pull":
        path = hub.pull(
            args.name,
            quant=args.quant,
            source=args.source,
            notify=lambda m: print(m, file=sys.stderr),
        )
        print(path)
    elif args.action == "list" and args.catalog:
        for spec in catalog.CATALOG.values():
            print(f"{spec.name:<24} {spec.language:<3} {spec.params:>6}  {spec.repo_id}")
    elif args.action == "list":
        models = store.list_local()
        if not models:
            print("no models yet: run `quillpen models pull` (default: gpt2, Q4_K_M)")
        for m in models:
            voice, base = _voice_note(m.name)
            lang = catalog.language_of(m.name) or catalog.language_of(base) or "?"
            print(f"{m.name:<24} {lang:<3} {m.quant:<8} {m.size_text:>9}  {m.path}{voice}")
    elif args.action == "rm":
        for path in store.remove(args.name):
            print(f"removed {path}")
    elif args.action == "convert":
        return _convert(args)
    return 0


def _voice_note(name: str) -> tuple[str, str]:
    """("  (voice, base gpt2)", "gpt2") for a model taught with `quillpen voice train`."""
    from models.voice.place import read_meta

    meta = read_meta(name)
    base = str(meta.get("base", "")) if meta else ""
    return (f"  (voice, base {base})" if meta else "", base)


def _convert(args: argparse.Namespace) -> int:
    from models.hub import convert, quantize

    kind = args.type.lower()
    out: Path = args.out
    if kind in ("f32", "f16", "q8_0"):
        convert.convert(args.src, out, kind)
    else:
        config = convert.GPT2Config.read(args.src / "config.json")
        quant, notice = quantize.effective_quant(kind, config.n_embd)
        if notice:
            print(notice, file=sys.stderr)
        f16 = out.with_name(out.name + ".f16.tmp")
        try:
            convert.convert(args.src, f16, "f16")
            quantize.quantize(f16, out, quant)
        finally:
            f16.unlink(missing_ok=True)
    print(out)
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    import platform
    from importlib.metadata import PackageNotFoundError, version

    from models import locations
    from models.hub import cache as store
    from models.hub.download import is_offline
    from models.local.cpu_probe import decide
    from models.stats import available_threads

    print(f"quillpen {__version__} on Python {platform.python_version()} ({platform.platform()})")
    for pkg in ("llama-cpp-python", "textual", "huggingface-hub", "gguf", "numpy", "platformdirs"):
        try:
            print(f"  {pkg:<18} {version(pkg)}")
        except PackageNotFoundError:
            print(f"  {pkg:<18} missing")
    for key, value in locations.describe().items():
        print(f"{key + ':':<12} {value}")
    print(f"offline:     {'yes' if is_offline() else 'no'}")
    print(f"threads:     {available_threads()} available to this process")
    repack = decide(_repack_setting(args))
    print(f"cpu repack:  {repack.describe()}")
    if repack.reason:
        print(f"             {repack.reason}")
    from models.local import gpu

    found = gpu.devices()
    offload = "supported" if gpu.offload_supported() else "not in this build (docs/gpu.md)"
    print(f"backend:     {gpu.backend(found)} (GPU offload: {offload})")
    for device in found:
        memory = f", {device.memory_text}" if device.kind != "CPU" else ""
        print(f"  {device.name:<10} {device.kind:<12} {device.description}{memory}")
    models = store.list_local()
    print(f"models:      {len(models)} ready")
    for m in models:
        print(f"  {m.name:<22} {m.quant:<8} {m.size_text:>9}  {m.path}")
    return 0
