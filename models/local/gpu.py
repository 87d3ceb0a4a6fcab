"""GPU offload made plain: which backend this llama.cpp build has, its devices, and how many
layers ``--gpu-layers auto|all|N`` puts on them.

llama-cpp-python binds no device API, so the devices are read from ggml's own library (the one
the wheel ships in ``llama_cpp/lib``) through ``ctypes``: ``ggml_backend_dev_count`` and friends.
"""

from __future__ import annotations

import ctypes
import functools
from dataclasses import dataclass
from pathlib import Path

from models.errors import QuillpenError

_KINDS = {0: "CPU", 1: "GPU", 2: "iGPU", 3: "accelerator"}
FIT_MARGIN = 1.25
"""``auto`` offloads when free GPU memory ≥ the model file × this (KV cache, compute buffers)."""
CPU_BUILD_ADVICE = (
    'reinstall llama-cpp-python with CMAKE_ARGS="-DGGML_CUDA=on" (or -DGGML_METAL=on, '
    "-DGGML_VULKAN=on): see docs/gpu.md"
)


@dataclass(frozen=True)
class Device:
    name: str
    description: str
    kind: str
    free: int
    total: int

    @property
    def memory_text(self) -> str:
        gib = 1024**3
        return f"{self.free / gib:.1f} GiB free of {self.total / gib:.1f} GiB"


def offload_supported() -> bool:
    import llama_cpp

    return bool(llama_cpp.llama_supports_gpu_offload())


@functools.lru_cache(maxsize=1)
def _ggml() -> ctypes.CDLL | None:
    import llama_cpp

    lib = Path(llama_cpp.__file__).with_name("lib")
    for name in ("libggml.so", "libggml.dylib", "ggml.dll"):
        if (lib / name).exists():
            try:
                ggml = ctypes.CDLL(str(lib / name))
            except OSError:
                return None
            ggml.ggml_backend_dev_count.restype = ctypes.c_size_t
            ggml.ggml_backend_dev_get.restype = ctypes.c_void_p
            ggml.ggml_backend_dev_get.argtypes = [ctypes.c_size_t]
            for text_fn in ("ggml_backend_dev_name", "ggml_backend_dev_description"):
                getattr(ggml, text_fn).restype = ctypes.c_char_p
                getattr(ggml, text_fn).argtypes = [ctypes.c_void_p]
            ggml.ggml_backend_dev_type.restype = ctypes.c_int
            ggml.ggml_backend_dev_type.argtypes = [ctypes.c_void_p]
            ggml.ggml_backend_dev_memory.restype = None
            ggml.ggml_backend_dev_memory.argtypes = [
                ctypes.c_void_p,
                ctypes.POINTER(ctypes.c_size_t),
                ctypes.POINTER(ctypes.c_size_t),
            ]
            return ggml
    return None


def devices() -> list[Device]:
    """Every device the build can use (the CPU included); empty if ggml cannot be asked."""
    import llama_cpp

    llama_cpp.llama_backend_init()  # registers the backends
    ggml = _ggml()
    if ggml is None:
        return []
    found: list[Device] = []
    for i in range(ggml.ggml_backend_dev_count()):
        dev = ggml.ggml_backend_dev_get(i)
        free, total = ctypes.c_size_t(0), ctypes.c_size_t(0)
        ggml.ggml_backend_dev_memory(dev, ctypes.byref(free), ctypes.byref(total))
        found.append(
            Device(
                name=(ggml.ggml_backend_dev_name(dev) or b"?").decode(errors="replace"),
                description=(ggml.ggml_backend_dev_description(dev) or b"").decode(
                    errors="replace"
                ),
                kind=_KINDS.get(ggml.ggml_backend_dev_type(dev), "other"),
                free=free.value,
                total=total.value,
            )
        )
    return found


def backend(found: list[Device] | None = None) -> str:
    """The build's offload backend as people name it: CUDA, Metal, Vulkan, … or CPU."""
    gpus = [d for d in (devices() if found is None else found) if d.kind != "CPU"]
    if not gpus:
        return "CPU"
    name = gpus[0].name.rstrip("0123456789")
    return {"CUDA": "CUDA", "METAL": "Metal", "VULKAN": "Vulkan", "ROCM": "ROCm"}.get(
        name.upper(), name
    )


def resolve_gpu_layers(
    gpu_layers: int | str | None, model_bytes: int | None = None
) -> tuple[int, str | None]:
    """(layers to offload, a notice saying what was done, or None).

    ``all`` (or -1) offloads every layer; ``auto`` does so only when the build can offload and
    the model fits in the GPU's free memory; a number offloads that many layers.
    """
    if gpu_layers in (None, 0, "0"):
        return 0, None
    if gpu_layers in ("auto", "all"):
        layers = -1
    else:
        try:
            layers = int(gpu_layers)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise QuillpenError(
                f"--gpu-layers takes a number, 'auto' or 'all', not {gpu_layers!r}"
            ) from None
    if not offload_supported():
        if gpu_layers == "auto":
            return 0, None  # nothing to say: auto on a CPU build is the CPU
        return (
            0,
            f"this llama.cpp build cannot offload to a GPU; running on the CPU "
            f"({CPU_BUILD_ADVICE})",
        )
    if gpu_layers != "auto":
        return layers, None
    gpus = [d for d in devices() if d.kind != "CPU" and d.total]
    free = max((d.free for d in gpus), default=0)
    if model_bytes and gpus and free < model_bytes * FIT_MARGIN:
        mib = 1024**2
        return 0, (
            f"gpu_layers auto: the model needs about {model_bytes * FIT_MARGIN / mib:.0f} MiB "
            f"and the GPU has {free / mib:.0f} MiB free; running on the CPU"
        )
    where = f" ({gpus[0].name}, {gpus[0].memory_text})" if gpus else ""
    return -1, f"gpu_layers auto: every layer on the GPU{where}"
