"""The fake Hub's repos and files, the faults and holds a file can carry, and the requests it
saw (:mod:`tests.support.hubserver` serves them)."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field

FAULTS = ("404", "401", "500", "cut-once", "cut-always", "bad-sha")
LFS_SUFFIXES = (".safetensors", ".gguf", ".bin", ".pt", ".pth", ".h5", ".onnx", ".msgpack")
INVALID_TOKEN = "Invalid credentials in Authorization header"


class Hold:
    """A gate in a file's body: the server sends the bytes before ``at``, then waits.

    :attr:`reached` is set once a body has been sent up to ``at`` (the client has them and waits
    for the rest); :meth:`release` lets every held body, and every later one, go on.
    """

    def __init__(self, at: int) -> None:
        self.at = at
        self.reached = threading.Event()
        self.released = threading.Event()

    def release(self) -> None:
        self.released.set()

    def wait_reached(self, timeout: float = 30) -> None:
        if not self.reached.wait(timeout):
            raise AssertionError(f"no download reached byte {self.at} in {timeout:.0f} s")


@dataclass
class HubFile:
    """One file of a repo: its bytes, whether git-lfs stores it, an optional fault or hold."""

    data: bytes
    lfs: bool
    fault: str | None = None
    body_requests: int = 0
    hold: Hold | None = None

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def git_sha1(self) -> str:
        """What git (and so the Hub's ``ETag`` for a non-LFS file) names these bytes."""
        return hashlib.sha1(b"blob %d\0" % len(self.data) + self.data).hexdigest()

    @property
    def advertised_sha256(self) -> str:
        """The sha256 the Hub announces: wrong on purpose under the ``bad-sha`` fault."""
        if self.fault == "bad-sha":
            return hashlib.sha256(self.data + b" (not what is served)").hexdigest()
        return self.sha256


@dataclass
class HubRepo:
    repo_id: str
    commit: str
    files: dict[str, HubFile]
    private: bool = False
    branches: dict[str, str] = field(default_factory=dict)

    def resolve(self, revision: str) -> str | None:
        """The commit a branch or commit id names, or None."""
        if revision == self.commit:
            return self.commit
        return self.branches.get(revision)


@dataclass(frozen=True)
class Request:
    """One request either server saw (``server`` is ``"hub"`` or ``"cdn"``)."""

    server: str
    method: str
    path: str
    headers: dict[str, str]

    @property
    def authorization(self) -> str | None:
        return self.headers.get("authorization")

    @property
    def range(self) -> str | None:
        return self.headers.get("range")
