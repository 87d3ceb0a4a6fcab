"""Tiny random-weight GPT-2 checkpoints in the Hub's layout, and a numpy reference forward pass."""

from __future__ import annotations

import io
import json
import pickle
import shutil
import struct
import zipfile
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import save_file

TOKENIZER = Path(__file__).parents[1] / "fixtures" / "gpt2-tokenizer"
ZH_VOCAB = Path(__file__).parents[1] / "fixtures" / "zh-wordpiece" / "vocab.txt"
N_VOCAB = 50257


def gpt2_config(vocab: int, n_ctx: int, n_embd: int, n_layer: int, n_head: int) -> dict[str, Any]:
    """config.json of a GPT-2 checkpoint, as the official repos write it."""
    return {
        "model_type": "gpt2",
        "architectures": ["GPT2LMHeadModel"],
        "vocab_size": vocab,
        "n_positions": n_ctx,
        "n_ctx": n_ctx,
        "n_embd": n_embd,
        "n_layer": n_layer,
        "n_head": n_head,
        "layer_norm_epsilon": 1e-5,
        "activation_function": "gelu_new",
    }


def make_checkpoint(
    dest: Path,
    *,
    n_embd: int = 64,
    n_layer: int = 2,
    n_head: int = 4,
    n_ctx: int = 1024,
    seed: int = 0,
    transformer_prefix: bool = False,
) -> Path:
    """Write config.json, model.safetensors, vocab.json and merges.txt like the official repos."""
    dest.mkdir(parents=True, exist_ok=True)
    tensors = gpt2_tensors(N_VOCAB, n_embd=n_embd, n_layer=n_layer, n_ctx=n_ctx, seed=seed)
    if transformer_prefix:
        tensors = {"transformer." + k: v for k, v in tensors.items()}
    save_file(tensors, str(dest / "model.safetensors"), metadata={"format": "pt"})
    config = gpt2_config(N_VOCAB, n_ctx, n_embd, n_layer, n_head)
    config |= {"bos_token_id": 50256, "eos_token_id": 50256}
    (dest / "config.json").write_text(json.dumps(config, indent=2))
    shutil.copyfile(TOKENIZER / "encoder.json", dest / "vocab.json")
    shutil.copyfile(TOKENIZER / "vocab.bpe", dest / "merges.txt")
    return dest


def gpt2_tensors(
    n_vocab: int, *, n_embd: int, n_layer: int, n_ctx: int, seed: int
) -> dict[str, np.ndarray]:
    """Random GPT-2 weights by their Hub names (no ``transformer.`` prefix), causal masks too."""
    rng = np.random.default_rng(seed)

    def w(*shape: int, scale: float = 0.02) -> np.ndarray:
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    e, f = n_embd, 4 * n_embd
    tensors: dict[str, np.ndarray] = {
        "wte.weight": w(n_vocab, e, scale=0.1),
        "wpe.weight": w(n_ctx, e, scale=0.05),
        "ln_f.weight": 1 + w(e, scale=0.1),
        "ln_f.bias": w(e),
    }
    mask = np.tril(np.ones((n_ctx, n_ctx), dtype=np.float32))[None, None]
    for i in range(n_layer):
        p = f"h.{i}."
        tensors |= {
            p + "ln_1.weight": 1 + w(e, scale=0.1),
            p + "ln_1.bias": w(e),
            p + "attn.bias": mask,
            p + "attn.c_attn.weight": w(e, 3 * e, scale=0.2),
            p + "attn.c_attn.bias": w(3 * e),
            p + "attn.c_proj.weight": w(e, e, scale=0.1),
            p + "attn.c_proj.bias": w(e),
            p + "ln_2.weight": 1 + w(e, scale=0.1),
            p + "ln_2.bias": w(e),
            p + "mlp.c_fc.weight": w(e, f, scale=0.1),
            p + "mlp.c_fc.bias": w(f),
            p + "mlp.c_proj.weight": w(f, e, scale=0.1),
            p + "mlp.c_proj.bias": w(e),
        }
    return tensors


def reference_logits(src: Path, tokens: list[int]) -> np.ndarray:
    """Logits of the last position, computed by a plain numpy GPT-2 forward pass."""
    from safetensors.numpy import load_file

    cfg = json.loads((src / "config.json").read_text())
    t = {
        k.removeprefix("transformer."): v
        for k, v in load_file(str(src / "model.safetensors")).items()
    }
    eps = cfg["layer_norm_epsilon"]
    n_head = cfg["n_head"]

    def ln(x: np.ndarray, g: np.ndarray, b: np.ndarray) -> np.ndarray:
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + eps) * g + b

    def gelu(x: np.ndarray) -> np.ndarray:
        return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))

    x = (t["wte.weight"][tokens] + t["wpe.weight"][: len(tokens)]).astype(np.float64)
    n = len(tokens)
    for i in range(cfg["n_layer"]):
        p = f"h.{i}."
        h = ln(x, t[p + "ln_1.weight"], t[p + "ln_1.bias"])
        qkv = h @ t[p + "attn.c_attn.weight"] + t[p + "attn.c_attn.bias"]
        q, k, v = np.split(qkv, 3, axis=-1)
        d = q.shape[-1] // n_head
        q, k, v = (a.reshape(n, n_head, d).transpose(1, 0, 2) for a in (q, k, v))
        att = q @ k.transpose(0, 2, 1) / np.sqrt(d)
        att = np.where(np.tril(np.ones((n, n), bool)), att, -np.inf)
        att = np.exp(att - att.max(-1, keepdims=True))
        att /= att.sum(-1, keepdims=True)
        y = (att @ v).transpose(1, 0, 2).reshape(n, -1)
        x = x + y @ t[p + "attn.c_proj.weight"] + t[p + "attn.c_proj.bias"]
        h = ln(x, t[p + "ln_2.weight"], t[p + "ln_2.bias"])
        h = gelu(h @ t[p + "mlp.c_fc.weight"] + t[p + "mlp.c_fc.bias"])
        x = x + h @ t[p + "mlp.c_proj.weight"] + t[p + "mlp.c_proj.bias"]
    x = ln(x, t["ln_f.weight"], t["ln_f.bias"])
    return (x[-1] @ t["wte.weight"].T).astype(np.float64)


# --- pytorch_model.bin, written without torch, in torch.save's own formats -------------------

TORCH_STORAGE_TYPES = {
    "float32": "FloatStorage",
    "float16": "HalfStorage",
    "float64": "DoubleStorage",
    "int64": "LongStorage",
    "uint8": "ByteStorage",
    "bool": "BoolStorage",
}


@dataclass(eq=False)
class FakeStorage:
    """A flat torch storage: one array, shared by the tensors that view it."""

    data: np.ndarray
    kind: str | None = None  # e.g. "BFloat16Storage" over uint16 data (numpy has no bfloat16)

    @property
    def type_name(self) -> str:
        return self.kind or TORCH_STORAGE_TYPES[self.data.dtype.name]


@dataclass(eq=False)
class FakeTensor:
    """A torch tensor: a view (offset, shape, stride in elements) of a storage."""

    storage: FakeStorage
    offset: int
    shape: tuple[int, ...]
    stride: tuple[int, ...]

    @classmethod
    def of(cls, array: np.ndarray) -> FakeTensor:
        flat = np.ascontiguousarray(array).reshape(-1)
        strides = tuple(
            s // max(array.itemsize, 1) for s in np.empty(array.shape, array.dtype).strides
        )
        return cls(FakeStorage(flat), 0, tuple(array.shape), strides)


class TorchGlobal:
    """A global by name (``torch._utils._rebuild_tensor_v2``) that pickles without torch."""

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name

    def __call__(self, *args: Any) -> Any:  # pickle's save_reduce wants a callable
        raise TypeError("a stand-in")


class TorchPickler(pickle._Pickler):  # type: ignore[name-defined,misc]
    """Pickles a state dict the way torch.save does: protocol 2, storages as persistent ids."""

    def __init__(self, file: Any, *, legacy: bool = False, key_base: int = 0) -> None:
        super().__init__(file, protocol=2)
        self.legacy = legacy
        self.key_base = key_base
        self.keys: dict[int, str] = {}
        self.storages: dict[str, FakeStorage] = {}
        self._globals: dict[tuple[str, str], TorchGlobal] = {}

    def g(self, module: str, name: str) -> TorchGlobal:
        return self._globals.setdefault((module, name), TorchGlobal(module, name))

    def persistent_id(self, obj: Any) -> Any:
        if not isinstance(obj, FakeStorage):
            return None
        if id(obj) not in self.keys:  # zip: "0", "1", ...; legacy: str(storage._cdata)
            n = len(self.keys)
            self.keys[id(obj)] = str(self.key_base + 64 * n if self.legacy else n)
            self.storages[self.keys[id(obj)]] = obj
        pid = ("storage", self.g("torch", obj.type_name), self.keys[id(obj)], "cpu", obj.data.size)
        return (*pid, None) if self.legacy else pid

    def save(self, obj: Any, save_persistent_id: bool = True) -> None:
        if isinstance(obj, TorchGlobal):
            memo = self.memo.get(id(obj))
            if memo is not None:
                self.write(self.get(memo[0]))
                return
            self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())
            self.memoize(obj)
            return
        if isinstance(obj, FakeTensor):
            rebuild = self.g("torch._utils", "_rebuild_tensor_v2")
            args = (obj.storage, obj.offset, obj.shape, obj.stride, False, OrderedDict())
            self.save_reduce(rebuild, args, obj=obj)
            return
        super().save(obj, save_persistent_id)


def _state(tensors: Mapping[str, np.ndarray | FakeTensor]) -> OrderedDict[str, Any]:
    state: OrderedDict[str, Any] = OrderedDict(
        (k, v if isinstance(v, FakeTensor) else FakeTensor.of(v)) for k, v in tensors.items()
    )
    state._metadata = OrderedDict([("", {"version": 1})])  # type: ignore[attr-defined]
    return state


def _write_aligned(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    """A stored member whose data starts on a 64-byte boundary, padded as torch pads it."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    start = archive.fp.tell() + 30 + len(name.encode()) + 4  # type: ignore[union-attr]
    pad = -start % 64
    info.extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
    archive.writestr(info, data)


def write_torch_zip(
    path: Path, tensors: Mapping[str, np.ndarray | FakeTensor], *, archive: str | None = None
) -> Path:
    """A torch ≥ 1.6 ``torch.save`` file: ``<stem>/data.pkl``, ``<stem>/data/<key>``..."""
    prefix = archive or path.stem  # torch names the folder after the file it saves to
    buf = io.BytesIO()
    pickler = TorchPickler(buf)
    pickler.dump(_state(tensors))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        _write_aligned(zf, f"{prefix}/data.pkl", buf.getvalue())
        _write_aligned(zf, f"{prefix}/byteorder", b"little")
        for key in sorted(pickler.storages):
            _write_aligned(zf, f"{prefix}/data/{key}", pickler.storages[key].data.tobytes())
        _write_aligned(zf, f"{prefix}/version", b"3\n")
        _write_aligned(zf, f"{prefix}/.data/serialization_id", b"0123456789012345678901234567")
    return path


def write_torch_legacy(path: Path, tensors: Mapping[str, np.ndarray | FakeTensor]) -> Path:
    """A pre-1.6 ``torch.save`` file: magic, protocol, sys info, pickle, keys, storages."""
    with path.open("wb") as fh:
        pickle.dump(0x1950A86A20F9469CFC6C, fh, protocol=2)
        pickle.dump(1001, fh, protocol=2)
        sizes = {"short": 2, "int": 4, "long": 4}
        info = {"protocol_version": 1001, "little_endian": True, "type_sizes": sizes}
        pickle.dump(info, fh, protocol=2)
        pickler = TorchPickler(fh, legacy=True, key_base=94_251_830_026_240)
        pickler.dump(_state(tensors))
        keys = sorted(pickler.storages)
        pickle.dump(keys, fh, protocol=2)
        for key in keys:
            data = pickler.storages[key].data
            fh.write(struct.pack("<q", data.size) + data.tobytes())
    return path


def hf_state_dict(tensors: Mapping[str, np.ndarray]) -> dict[str, np.ndarray | FakeTensor]:
    """``tensors`` as GPT2LMHeadModel.state_dict() holds them: ``transformer.`` names, a bool
    causal mask, a scalar ``masked_bias``, and ``lm_head.weight`` sharing wte's storage."""
    out: dict[str, np.ndarray | FakeTensor] = {}
    for name, array in tensors.items():
        if name.endswith(".attn.bias"):  # the causal mask buffer (not c_attn.bias)
            out["transformer." + name] = array.astype(bool)
            masked = name.removesuffix("bias") + "masked_bias"
            out["transformer." + masked] = np.array(-1e4, np.float32)
        else:
            out["transformer." + name] = FakeTensor.of(array)
    wte = out["transformer.wte.weight"]
    assert isinstance(wte, FakeTensor)
    out["lm_head.weight"] = FakeTensor(wte.storage, 0, wte.shape, wte.stride)
    return out


# --- a tiny GPT-2 with a BERT WordPiece vocabulary (the UER Chinese models' layout) ----------


def zh_vocab() -> list[str]:
    return ZH_VOCAB.read_text(encoding="utf-8").splitlines()


def make_wordpiece_checkpoint(
    dest: Path,
    *,
    weights: Iterable[str] = ("safetensors",),
    n_embd: int = 64,
    n_layer: int = 2,
    n_head: int = 4,
    n_ctx: int = 128,
    seed: int = 1,
    lowercase: bool = True,
    favour: str | None = None,
) -> Path:
    """config.json, vocab.txt, tokenizer_config.json, special_tokens_map.json and weights as
    ``model.safetensors`` ("safetensors"), a zip ``pytorch_model.bin`` ("bin") or a pre-1.6
    one ("legacy"). ``favour``: a token the model always predicts, whatever the input."""
    dest.mkdir(parents=True, exist_ok=True)
    vocab = zh_vocab()
    tensors = gpt2_tensors(len(vocab), n_embd=n_embd, n_layer=n_layer, n_ctx=n_ctx, seed=seed)
    if favour is not None:
        direction = np.zeros(n_embd, np.float32)
        direction[0] = 1.0
        tensors["ln_f.weight"] = np.zeros(n_embd, np.float32)  # the output ignores the input
        tensors["ln_f.bias"] = direction
        tensors["wte.weight"][vocab.index(favour)] = 50 * direction
    for kind in weights:
        if kind == "safetensors":
            save_file(tensors, str(dest / "model.safetensors"), metadata={"format": "pt"})
        elif kind == "bin":
            write_torch_zip(dest / "pytorch_model.bin", hf_state_dict(tensors))
        elif kind == "legacy":
            write_torch_legacy(dest / "pytorch_model.bin", hf_state_dict(tensors))
        else:
            raise ValueError(kind)
    config = gpt2_config(len(vocab), n_ctx, n_embd, n_layer, n_head)
    config["tokenizer_class"] = "BertTokenizer"
    (dest / "config.json").write_text(json.dumps(config, indent=2))
    shutil.copyfile(ZH_VOCAB, dest / "vocab.txt")
    tokenizer_config = {"do_lower_case": lowercase, "tokenizer_class": "BertTokenizer"}
    (dest / "tokenizer_config.json").write_text(json.dumps(tokenizer_config))
    specials = {f"{k}_token": f"[{k.upper()}]" for k in ("unk", "sep", "pad", "cls", "mask")}
    (dest / "special_tokens_map.json").write_text(json.dumps(specials))
    return dest
