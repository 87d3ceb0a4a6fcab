"""No half-downloaded file stays in the Hub cache when quillpen goes away mid-download.

huggingface_hub (2.x) writes each file to ``blobs/<etag>.<random>.incomplete`` in its cache,
holding ``.locks/<repo>/<etag>.lock``, and renames it into place when it is complete; on an error
it removes the file itself. A process that ends abruptly (a hang-up or SIGTERM ends quillpen with
``os._exit``; ``kill -9``) never gets there, and the random part of the name means no later pull
ever uses the file again (a later pull starts that file over): it would stay for good.

So :func:`tracked` wraps every download and :func:`end_all` (the hang-up handlers, the app's
last exit) removes what the running downloads have written so far; a download that starts after
it is refused. :func:`tracked` also removes what an earlier process left (one killed outright):
an ``.incomplete`` file whose lock nobody holds is being written by no one.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

from models import locations
from models.progress import PullCancelled

SUFFIX = ".incomplete"
_tracked: dict[int, tuple[Path, frozenset[str]]] = {}
"""Per running download: its repo's ``blobs`` folder and the partial files it held before."""
_lock = threading.RLock()  # reentrant: a signal handler may call end_all inside tracked
_ended = False


def _partials(blobs: Path) -> frozenset[str]:
    try:
        return frozenset(n for n in os.listdir(blobs) if n.endswith(SUFFIX))
    except OSError:
        return frozenset()


def _open_here() -> set[str] | None:
    """The files this process has open (None: the system does not say, as on macOS)."""
    try:
        fds = os.listdir("/proc/self/fd")
    except OSError:
        return None
    paths = set()
    for fd in fds:
        with contextlib.suppress(OSError):
            paths.add(os.readlink(f"/proc/self/fd/{fd}"))
    return paths


def _unlink(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def _remove_stale(blobs: Path, locks: Path) -> None:
    """Remove the partial files in ``blobs`` that no process is writing (their lock is free)."""
    try:
        import fcntl
    except ImportError:  # (not on Windows)
        return
    open_here = _open_here() or set()
    for name in _partials(blobs):
        path = blobs / name
        if os.path.realpath(path) in open_here:
            continue
        try:
            fd = os.open(locks / f"{name.split('.', 1)[0]}.lock", os.O_RDWR)
        except OSError:  # no lock file: leave it to huggingface_hub
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # another download holds it
            os.close(fd)
            continue
        try:
            _unlink(path)
        finally:
            os.close(fd)  # (releases the lock)


@contextlib.contextmanager
def tracked(repo_id: str) -> Iterator[None]:
    """Run one download of ``repo_id`` into the Hub cache so that :func:`end_all` can remove its
    partial file; raises :class:`PullCancelled` once :func:`end_all` has run."""
    from huggingface_hub.file_download import repo_folder_name

    folder = repo_folder_name(repo_id=repo_id, repo_type="model")
    blobs = locations.hub_dir() / folder / "blobs"
    _remove_stale(blobs, locations.hub_dir() / ".locks" / folder)
    key = object()
    with _lock:
        if _ended:
            raise PullCancelled("quillpen is closing: download not started")
        _tracked[id(key)] = (blobs, _partials(blobs))
    try:
        yield
    finally:
        with _lock:
            _tracked.pop(id(key), None)


def end_all() -> None:
    """Remove the partial files of every running download (quillpen is going away); a download
    that starts from now on is refused. Safe in a signal handler; may be called again."""
    global _ended
    _ended = True
    with _lock:
        running = list(_tracked.values())
    open_here = _open_here()
    for blobs, before in running:
        for name in _partials(blobs) - before:  # new since the download started ...
            path = blobs / name
            if open_here is None or os.path.realpath(path) in open_here:  # ... and ours
                _unlink(path)
