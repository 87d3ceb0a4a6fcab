"""Fuzzing the two readers of untrusted model files: the restricted unpickler and the GGUF header.

Hypothesis builds pickles from fragments that include code-running ones (``os.system``,
``builtins.exec``… with REDUCE, BUILD on the stand-ins, huge memo indices, deep nesting), and
mutates a real GGUF's header. Whatever comes in: the reader answers or raises the project's own
:class:`QuillpenError`, Python's allocations stay under 64 MB, and no code runs (a marker file a
payload would create never appears). The run is derandomized and short (well under 20 s).
"""

from __future__ import annotations

import contextlib
import tempfile
import tracemalloc
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.errors import QuillpenError
from models.hub import torch_pickle
from models.local.gguf_info import read_info
from tests.models.local.test_hostile_gguf import rewrite

MB = 1024 * 1024
MARKER = Path(tempfile.gettempdir()) / f"quillpen-fuzz-ran-{id(object())}"
FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FRAGMENTS = [
    b"cos\nsystem\n",
    b"cbuiltins\nexec\n",
    b"cbuiltins\nopen\n",
    b"ctorch._utils\n_rebuild_tensor_v2\n",
    b"ctorch._utils\n_rebuild_parameter\n",
    b"ctorch\nFloatStorage\n",
    b"ccollections\nOrderedDict\n",
    f"(S'touch {MARKER}'\ntR".encode(),
    f"(S'open({str(MARKER)!r}, \"w\")'\ntR".encode(),
    b"(X\x01\x00\x00\x00wtR",
    b"}X\x0c\x00\x00\x00__defaults__(K\x01tq\x00s\x86b",
    b"}X\x04\x00\x00\x00nameX\x01\x00\x00\x00xsb",
    b"(X\x07\x00\x00\x00storageh\x00X\x010\x00\x00X\x03\x00\x00\x00cpuK\x04tQ",
    b"r\x00\x00\x00\x04",
    b"h\x00",
    b"j\xff\xff\xff\x00",
    b"(" * 200,
    b"]" * 50,
    b"K\x00K\x01K\x02\x87",
    b"J\xff\xff\xff\x7f",
    b"N",
    b"}",
    b"s",
    b"u",
    b"R",
    b"b",
    b"t",
    b"0",
    b".",
]


@contextlib.contextmanager
def bounded() -> Iterator[None]:
    tracemalloc.start()
    try:
        yield
        assert tracemalloc.get_traced_memory()[1] < 64 * MB
    finally:
        tracemalloc.stop()


def _read_all(path: Path) -> None:
    checkpoint = torch_pickle.load(path)
    for name in list(checkpoint.keys())[:8]:
        checkpoint.tensor(name)


@FUZZ
@given(
    pieces=st.lists(st.sampled_from(FRAGMENTS), max_size=24),
    legacy=st.booleans(),
)
def test_the_unpickler_runs_nothing_and_raises_only_its_own_error(
    pieces: list[bytes], legacy: bool
) -> None:
    pickled = b"\x80\x02" + b"".join(pieces) + b"."
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.bin"
        if legacy:
            path.write_bytes(pickled)
        else:
            with zipfile.ZipFile(path, "w") as zf:
                zf.writestr("fuzz/data.pkl", pickled)
                zf.writestr("fuzz/data/0", b"\0" * 64)
        with bounded(), contextlib.suppress(QuillpenError):
            _read_all(path)
    assert not MARKER.exists()


@FUZZ
@given(data=st.binary(max_size=4096))
def test_random_bytes_as_a_checkpoint(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for head in (b"", b"\x80\x02", b"PK\x03\x04"):
            path = Path(folder) / "fuzz.bin"
            path.write_bytes(head + data)
            with bounded(), contextlib.suppress(QuillpenError):
                _read_all(path)


def _short_vocabulary(key: str, value: Any) -> Any:
    return value[:300] if key.startswith("tokenizer.ggml.") and isinstance(value, list) else value


@pytest.fixture(scope="module")
def gguf_bytes(tiny_gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The tiny model with a 300-token vocabulary (its header parses in a millisecond)."""
    path = tmp_path_factory.mktemp("fuzz") / "short.gguf"
    return rewrite(tiny_gguf, path, _short_vocabulary).read_bytes()


@FUZZ
@given(
    edits=st.lists(
        st.tuples(
            st.one_of(st.integers(0, 200), st.integers(0, 4096), st.integers(0, 16 * 1024)),
            st.sampled_from([0, 1, 0x7F, 0xFF, 0x80, 9, 8, 12]),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_the_gguf_reader_raises_only_its_own_error(
    gguf_bytes: bytes, edits: list[tuple[int, int]]
) -> None:
    data = bytearray(gguf_bytes)
    for at, value in edits:
        if at < len(data):
            data[at] = value
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.gguf"
        path.write_bytes(bytes(data))
        with bounded(), contextlib.suppress(QuillpenError):
            read_info(path)
