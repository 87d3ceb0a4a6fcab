"""GPU offload: what this build has, and what --gpu-layers auto|all|N does. The GPU cases run
only on a build that can offload (a CUDA/Metal/Vulkan llama-cpp-python) and skip elsewhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.local import gpu
from models.local.engine import Engine
from tui import cli

needs_gpu = pytest.mark.skipif(not gpu.offload_supported(), reason="a CPU-only llama.cpp build")
cpu_only = pytest.mark.skipif(gpu.offload_supported(), reason="this build can offload")


def test_doctor_names_the_backend_and_each_device(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["doctor"]) == 0
    out = capsys.readouterr().out
    found = gpu.devices()
    assert found and any(d.kind == "CPU" for d in found)
    assert f"backend:     {gpu.backend(found)}" in out
    for device in found:
        assert device.name in out


@cpu_only
def test_on_a_cpu_build_all_says_how_to_get_a_gpu_build_and_auto_stays_quiet(
    tiny_gguf: Path,
) -> None:
    layers, notice = gpu.resolve_gpu_layers("all")
    assert layers == 0 and notice is not None and "docs/gpu.md" in notice
    assert gpu.resolve_gpu_layers("auto") == (0, None)
    engine = Engine.load(tiny_gguf, gpu_layers="all")
    assert engine.gpu_layers == 0 and any("cannot offload" in n for n in engine.notices)
    engine.close()


@needs_gpu
def test_auto_offloads_every_layer_when_the_model_fits_and_says_so(tiny_gguf: Path) -> None:
    engine = Engine.load(tiny_gguf, gpu_layers="auto")
    assert engine.gpu_layers == -1
    assert any("every layer on the GPU" in n for n in engine.notices)
    assert engine.complete("Once", max_tokens=4) is not None
    engine.close()


@needs_gpu
def test_auto_stays_on_the_cpu_when_the_model_does_not_fit() -> None:
    free = max(d.free for d in gpu.devices() if d.kind != "CPU")
    layers, notice = gpu.resolve_gpu_layers("auto", model_bytes=free * 2)
    assert layers == 0 and notice is not None and "running on the CPU" in notice
