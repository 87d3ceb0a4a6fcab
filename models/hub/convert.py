"""GPT-2 checkpoint (Hub layout) → GGUF, with numpy and ``gguf`` only (never torch).

Weights come from ``model.safetensors`` or, failing that, ``pytorch_model.bin`` (read by
:mod:`models.hub.torch_pickle`, which never runs the pickle). The vocabulary is GPT-2's BPE
(``vocab.json`` + ``merges.txt``) or a BERT WordPiece ``vocab.txt`` (:mod:`models.hub.wordpiece`:
the UER Chinese GPT-2 models). Tensors are streamed one at a time (header first, then each
tensor's data), so memory stays near the size of the largest tensor rather than the whole model.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import gguf
import numpy as np
from safetensors import safe_open

from models.errors import QuillpenError
from models.hub import torch_pickle, wordpiece

EOT_ID = 50256
CONVERT_TYPES = ("f32", "f16", "q8_0")
# Conv1D layers store weights as [in, out]; GGUF wants [out, in].
CONV1D_SUFFIXES = (
    "attn.c_attn.weight",
    "attn.c_proj.weight",
    "mlp.c_fc.weight",
    "mlp.c_proj.weight",
)
# Causal-mask buffers and the tied output head carry no weights of their own.
SKIPPED = re.compile(r"(h\.\d+\.attn\.(masked_)?bias|lm_head\.weight)")

_NP_TYPES = {gguf.GGMLQuantizationType.F32: np.float32, gguf.GGMLQuantizationType.F16: np.float16}

FILE_TYPES = {
    "f32": gguf.LlamaFileType.ALL_F32,
    "f16": gguf.LlamaFileType.MOSTLY_F16,
    "q8_0": gguf.LlamaFileType.MOSTLY_Q8_0,
}


MAX_CONFIG = 1024 * 1024
"""Bytes of a config.json (a GPT-2's is under 1 KB)."""
MAX_DIMENSION = 2**24
"""The largest size config.json may give (vocab_size, n_layer, n_embd…)."""


@dataclass(frozen=True)
class GPT2Config:
    n_vocab: int
    n_ctx: int
    n_embd: int
    n_layer: int
    n_head: int
    n_inner: int
    eps: float

    @classmethod
    def read(cls, path: Path) -> GPT2Config:
        """The config, its values checked (:meth:`check_weights` checks them against the file)."""
        try:
            if path.stat().st_size > MAX_CONFIG:
                raise QuillpenError(f"{path}: config.json is over {MAX_CONFIG >> 10} KB: refused")
            raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise QuillpenError(
                f"{path.parent}: no config.json (is this a GPT-2 checkpoint?)"
            ) from None
        except (ValueError, RecursionError) as exc:  # (JSON, UTF-8, nesting)
            raise QuillpenError(f"{path}: config.json is not valid JSON ({exc})") from None
        if not isinstance(raw, dict) or raw.get("model_type") != "gpt2":
            kind = raw.get("model_type") if isinstance(raw, dict) else None
            raise QuillpenError(
                f"{path.parent}: model_type is {kind!r}, not 'gpt2': quillpen converts GPT-2 only"
            )
        try:
            n_embd = int(raw["n_embd"])
            config = cls(
                n_vocab=int(raw["vocab_size"]),
                n_ctx=int(raw.get("n_positions") or raw.get("n_ctx") or 1024),
                n_embd=n_embd,
                n_layer=int(raw["n_layer"]),
                n_head=int(raw["n_head"]),
                n_inner=int(raw.get("n_inner") or 4 * n_embd),
                eps=float(raw.get("layer_norm_epsilon", 1e-5)),
            )
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise QuillpenError(f"{path}: config.json lacks a valid {exc} for GPT-2") from None
        config.check(path)
        return config

    def parameters(self) -> int:
        """How many weights this config implies (what the weights file must hold)."""
        e, f = self.n_embd, self.n_inner
        layer = 4 * e + 3 * e * e + 3 * e + e * e + e + 2 * e * f + f + e
        return (self.n_vocab + self.n_ctx) * e + 2 * e + self.n_layer * layer

    def check(self, path: Path) -> None:
        """Refuse values no GPT-2 has, before anything is sized by them."""
        sizes = {
            "vocab_size": self.n_vocab,
            "n_positions": self.n_ctx,
            "n_embd": self.n_embd,
            "n_layer": self.n_layer,
            "n_head": self.n_head,
            "n_inner": self.n_inner,
        }
        for key, value in sizes.items():
            if not 1 <= value <= MAX_DIMENSION:
                raise QuillpenError(f"{path}: config.json's {key} ({value}) is out of range")
        if self.n_embd % self.n_head:
            raise QuillpenError(f"{path}: config.json's n_embd is not a multiple of n_head")
        if not 0 < self.eps < 1:  # (also NaN and inf)
            raise QuillpenError(f"{path}: config.json's layer_norm_epsilon is out of range")

    def check_weights(self, weights: Path) -> None:
        """Refuse a config that implies more weights than the weights file can hold (at least a
        byte each), before the tokenizer or the shapes are sized by it."""
        size = weights.stat().st_size
        if self.parameters() > size:
            raise QuillpenError(
                f"config.json describes {self.parameters():,} weights, more than {weights.name} "
                f"({size:,} bytes) can hold: damaged config"
            )

    def expected_shapes(self) -> dict[str, tuple[int, ...]]:
        """Every weight a GPT-2 checkpoint must have, by its Hub name, with its Hub shape."""
        e, f = self.n_embd, self.n_inner
        shapes: dict[str, tuple[int, ...]] = {
            "wte.weight": (self.n_vocab, e),
            "wpe.weight": (self.n_ctx, e),
            "ln_f.weight": (e,),
            "ln_f.bias": (e,),
        }
        for i in range(self.n_layer):
            p = f"h.{i}."
            shapes |= {
                p + "ln_1.weight": (e,),
                p + "ln_1.bias": (e,),
                p + "attn.c_attn.weight": (e, 3 * e),
                p + "attn.c_attn.bias": (3 * e,),
                p + "attn.c_proj.weight": (e, e),
                p + "attn.c_proj.bias": (e,),
                p + "ln_2.weight": (e,),
                p + "ln_2.bias": (e,),
                p + "mlp.c_fc.weight": (e, f),
                p + "mlp.c_fc.bias": (f,),
                p + "mlp.c_proj.weight": (f, e),
                p + "mlp.c_proj.bias": (e,),
            }
        return shapes


def read_tokenizer(src: Path, n_vocab: int) -> tuple[list[str], list[int], list[str]]:
    """Tokens in id order, their types, and the BPE merges, from vocab.json + merges.txt."""
    try:
        vocab: dict[str, int] = json.loads((src / "vocab.json").read_text(encoding="utf-8"))
        merge_lines = (src / "merges.txt").read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as exc:
        raise QuillpenError(
            f"{src}: missing tokenizer file {Path(str(exc.filename)).name}"
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise QuillpenError(f"{src}: unreadable tokenizer files ({exc})") from None
    by_id = {i: t for t, i in vocab.items()}
    tokens: list[str] = []
    types: list[int] = []
    for i in range(n_vocab):
        if i in by_id:
            tokens.append(by_id[i])
            control = by_id[i] == "<|endoftext|>"
            types.append(gguf.TokenType.CONTROL if control else gguf.TokenType.NORMAL)
        else:
            tokens.append(f"[PAD{i}]")
            types.append(gguf.TokenType.USER_DEFINED)
    merges = [m for m in merge_lines if m and not m.startswith("#version")]
    return tokens, types, merges


class TensorSource(Protocol):
    """Named tensors, read one at a time: a safetensors file or a torch state dict."""

    def keys(self) -> Iterable[str]: ...

    def shape(self, name: str) -> tuple[int, ...]: ...

    def tensor(self, name: str) -> np.ndarray: ...


class _Safetensors:
    def __init__(self, st: Any) -> None:
        self.st = st

    def keys(self) -> Iterable[str]:
        return list(self.st.keys())

    def shape(self, name: str) -> tuple[int, ...]:
        return tuple(self.st.get_slice(name).get_shape())

    def tensor(self, name: str) -> np.ndarray:
        return np.asarray(self.st.get_tensor(name))


WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


def weights_file(src: Path) -> Path:
    """The checkpoint's weights: model.safetensors if present, else pytorch_model.bin."""
    for name in WEIGHT_FILES:
        if (src / name).is_file():
            return src / name
    raise QuillpenError(f"{src}: no model.safetensors or pytorch_model.bin")


@contextlib.contextmanager
def open_weights(path: Path) -> Iterator[TensorSource]:
    """The tensors of ``path`` (either weights format), read lazily."""
    if path.suffix == ".bin":
        yield torch_pickle.load(path)
        return
    with safe_open(str(path), framework="numpy") as st:
        yield _Safetensors(st)


def _hub_name(name: str) -> str:
    return name.removeprefix("transformer.")


def _out_dtype(hub_name: str, shape: tuple[int, ...], out_type: str) -> gguf.GGMLQuantizationType:
    """Norms and biases stay F32; 2-D weights take the requested type."""
    if len(shape) == 1 or out_type == "f32":
        return gguf.GGMLQuantizationType.F32
    if out_type == "f16":
        return gguf.GGMLQuantizationType.F16
    if shape[-1] % 32 == 0:
        return gguf.GGMLQuantizationType.Q8_0
    return gguf.GGMLQuantizationType.F16


def _prepare(array: np.ndarray, hub_name: str, qtype: gguf.GGMLQuantizationType) -> np.ndarray:
    array = array.astype(np.float32, copy=False)
    if hub_name.endswith(CONV1D_SUFFIXES):
        array = array.T
    array = np.ascontiguousarray(array)
    if qtype == gguf.GGMLQuantizationType.F16:
        return array.astype(np.float16)
    if qtype == gguf.GGMLQuantizationType.Q8_0:
        return gguf.quants.quantize(array, qtype)
    return array


def _plan(st: TensorSource, config: GPT2Config) -> Iterator[tuple[str, str, tuple[int, ...]]]:
    """(checkpoint name, GGUF name, GGUF shape) for each tensor, checking names and shapes."""
    expected = config.expected_shapes()
    tensor_map = gguf.get_tensor_name_map(gguf.MODEL_ARCH.GPT2, config.n_layer)
    seen: set[str] = set()
    for name in st.keys():  # noqa: SIM118 (not a dict)
        hub = _hub_name(name)
        if SKIPPED.fullmatch(hub):
            continue
        if hub not in expected:
            raise QuillpenError(
                f"unexpected tensor {name!r}: not a GPT-2 checkpoint of this config"
            )
        shape = st.shape(name)
        if shape != expected[hub]:
            raise QuillpenError(
                f"tensor {name!r} has shape {list(shape)}, "
                f"config.json implies {list(expected[hub])}"
            )
        gguf_name = tensor_map.get_name(hub, try_suffixes=(".weight", ".bias"))
        if gguf_name is None:
            raise QuillpenError(f"no GGUF name for tensor {name!r}")
        seen.add(hub)
        out_shape = shape[::-1] if hub.endswith(CONV1D_SUFFIXES) else shape
        yield name, gguf_name, out_shape
    missing = sorted(set(expected) - seen)
    if missing:
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        raise QuillpenError(f"checkpoint is missing tensors: {', '.join(missing[:3])}{more}")


def convert(
    src: Path,
    out: Path,
    out_type: str = "f16",
    *,
    name: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    chat_template: str | None = None,
) -> Path:
    """Convert the checkpoint in ``src`` to ``out``; the file appears only when complete.

    ``chat_template``: a Jinja chat template to store as ``tokenizer.chat_template``.
    """
    out_type = out_type.lower()
    if out_type not in CONVERT_TYPES:
        raise QuillpenError(
            f"cannot convert to {out_type!r}: choose one of {', '.join(CONVERT_TYPES)}"
        )
    src = Path(src)
    if not src.is_dir():
        raise QuillpenError(f"{src}: not a directory with a GPT-2 checkpoint")
    config = GPT2Config.read(src / "config.json")
    weights = weights_file(src)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    try:
        with open_weights(weights) as st:
            config.check_weights(weights)
            vocab = (
                wordpiece.read_vocab(src, config.n_vocab) if wordpiece.is_wordpiece(src) else None
            )
            tokens, types, merges = (
                read_tokenizer(src, config.n_vocab) if vocab is None else ([], [], [])
            )
            plan = list(_plan(st, config))
            writer = gguf.GGUFWriter(str(partial), "gpt2")
            writer.add_name(name or src.name)
            writer.add_context_length(config.n_ctx)
            writer.add_embedding_length(config.n_embd)
            writer.add_feed_forward_length(config.n_inner)
            writer.add_block_count(config.n_layer)
            writer.add_head_count(config.n_head)
            writer.add_layer_norm_eps(config.eps)
            writer.add_file_type(FILE_TYPES[out_type])
            if vocab is not None:
                vocab.add_to_gguf(writer)
            else:
                writer.add_tokenizer_model("gpt2")
                writer.add_tokenizer_pre("gpt-2")
                writer.add_token_list(tokens)
                writer.add_token_types(types)
                writer.add_token_merges(merges)
                writer.add_bos_token_id(EOT_ID)
                writer.add_eos_token_id(EOT_ID)
                writer.add_add_bos_token(False)
            if chat_template:
                writer.add_chat_template(chat_template)
            for _, gguf_name, shape in plan:
                qtype = _out_dtype(gguf_name, shape, out_type)
                dtype: np.dtype[Any] = np.dtype(_NP_TYPES.get(qtype, np.uint8))
                info_shape = shape
                if qtype == gguf.GGMLQuantizationType.Q8_0:
                    info_shape = gguf.quants.quant_shape_to_byte_shape(shape, qtype)
                nbytes = int(np.prod(info_shape)) * dtype.itemsize
                writer.add_tensor_info(gguf_name, info_shape, dtype, nbytes, raw_dtype=qtype)
            writer.write_header_to_file()
            writer.write_kv_data_to_file()
            writer.write_ti_data_to_file()
            for done, (st_name, gguf_name, shape) in enumerate(plan, 1):
                qtype = _out_dtype(gguf_name, shape, out_type)
                writer.write_tensor_data(_prepare(st.tensor(st_name), _hub_name(st_name), qtype))
                if progress:
                    progress(done, len(plan))
            writer.close()
        os.replace(partial, out)
    except QuillpenError:
        partial.unlink(missing_ok=True)
        raise
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise QuillpenError(f"could not write {out}: {exc.strerror or exc}") from None
    except ImportError:
        raise
    except Exception as exc:  # safetensors raises its own error types for corrupt files
        partial.unlink(missing_ok=True)
        raise QuillpenError(f"{weights}: cannot read checkpoint ({exc})") from None
    return out
