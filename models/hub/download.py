"""Fetch models from the Hugging Face Hub (or ``HF_ENDPOINT``) into quillpen's cache.

huggingface_hub does the HTTP: pinned revisions, temp files that never pass as complete,
Range retries, progress bars, ``HF_TOKEN``. We add what it leaves out: only the files we need,
a sha256 check of every LFS file (the Hub's ETag for LFS files *is* the sha256), conversion
and quantization, and one clear message per failure.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from models import locations
from models.errors import QuillpenError
from models.hub import catalog, partial_downloads
from models.hub.catalog import ModelSpec
from models.hub.offline import is_offline as is_offline
from models.hub.offline import set_offline as set_offline
from models.hub.quantize import K_QUANT_FALLBACK, effective_quant

Notify = Callable[[str], None]
SHA256_RE = re.compile(r"[0-9a-f]{64}")


def safe_name(name: str) -> str:
    """A folder name for a model reference (``owner/repo`` → ``owner--repo``)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "--", name).strip("-") or "model"


def model_path(name: str, quant: str) -> Path:
    """Where the ready GGUF for ``name`` at ``quant`` lives."""
    folder = safe_name(name)
    return locations.models_dir() / folder / f"{folder}.{quant}.gguf"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _explain(exc: BaseException, what: str) -> QuillpenError:
    """One clear line for each way a download can fail."""
    from huggingface_hub import errors as hf

    if isinstance(exc, QuillpenError):
        return exc
    if (
        isinstance(exc, hf.LocalEntryNotFoundError)
        and not is_offline()
        and isinstance(exc.__cause__, hf.HfHubHTTPError)
    ):
        exc = exc.__cause__  # the Hub answered (e.g. 500): say that, not "cannot reach"
    if isinstance(exc, (hf.LocalEntryNotFoundError, hf.OfflineModeIsEnabled)):
        if is_offline():
            return QuillpenError(
                f"offline and {what} is not in the cache: run `quillpen models pull` while online"
            )
        return QuillpenError(f"cannot reach the Hub for {what}: check your network or HF_ENDPOINT")
    if isinstance(exc, hf.GatedRepoError):
        return QuillpenError(
            f"{what}: access is gated; accept its terms on the Hub and set HF_TOKEN"
        )
    if isinstance(exc, hf.RepositoryNotFoundError):
        return QuillpenError(f"{what}: repository not found (or private: set HF_TOKEN)")
    if isinstance(exc, hf.RevisionNotFoundError):
        return QuillpenError(f"{what}: the pinned revision is not on the Hub")
    if isinstance(exc, hf.EntryNotFoundError):
        return QuillpenError(f"{what}: file not found on the Hub")
    if isinstance(exc, hf.HfHubHTTPError):
        status = getattr(getattr(exc, "response", None), "status_code", None)
        if status == 401:
            return QuillpenError(f"{what}: not authorized (401): set a valid HF_TOKEN")
        if status is not None and status >= 500:
            return QuillpenError(f"{what}: the Hub is having trouble ({status}); try again later")
        return QuillpenError(f"{what}: download failed ({status or exc.__class__.__name__})")
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return QuillpenError(f"{what}: the disk is full; free some space and pull again")
    if isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EROFS):
        return QuillpenError(f"{what}: cannot write to the cache ({exc.strerror})")
    name = exc.__class__.__name__
    return QuillpenError(
        f"{what}: download interrupted ({name}); nothing was kept; run the same pull again"
    )


def verify(path: Path, expected: str | None, what: str) -> None:
    """Check ``path`` against the Hub's sha256 (from the blob name) and ``expected``."""
    blob = Path(os.path.realpath(path))
    wanted = {h for h in (expected, blob.name if SHA256_RE.fullmatch(blob.name) else None) if h}
    if not wanted:
        return
    actual = sha256_of(blob)
    if any(actual != h for h in wanted):
        blob.unlink(missing_ok=True)
        if path.is_symlink():
            path.unlink(missing_ok=True)
        raise QuillpenError(
            f"{what}: sha256 mismatch (got {actual[:12]}…, expected {sorted(wanted)[0][:12]}…); "
            "the corrupt file was deleted, pull again"
        )


def download(
    repo_id: str,
    filename: str,
    revision: str | None,
    *,
    sha256: str | None = None,
    tqdm_class: Any = None,
) -> Path:
    """One file through huggingface_hub into our cache, verified."""
    from huggingface_hub import hf_hub_download

    what = f"{repo_id}/{filename}"
    unreachable = None if is_offline() else _unreachable()
    try:
        with partial_downloads.tracked(repo_id):  # a hang-up mid-file leaves no partial file
            path = Path(
                hf_hub_download(
                    repo_id,
                    filename,
                    revision=revision,
                    cache_dir=locations.hub_dir(),
                    # Unreachable: use the cache at once (huggingface_hub would retry for ~23 s).
                    local_files_only=is_offline() or unreachable is not None,
                    tqdm_class=tqdm_class,
                )
            )
    except Exception as exc:
        if unreachable is not None:
            raise QuillpenError(
                f"cannot reach the Hub at {_endpoint()} ({unreachable}) and {what} is not in "
                "the cache: check your network or HF_ENDPOINT"
            ) from None
        raise _explain(exc, what) from None
    verify(path, sha256, what)
    return path


REACH_TIMEOUT = 3.0
_PROXY_VARS = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


def _unreachable() -> str | None:
    """Why the Hub's host cannot be reached right now (None: it can, or a proxy decides).

    One TCP connect with a short timeout, so a machine without network says so in seconds
    instead of after huggingface_hub's retries.
    """
    import socket
    from urllib.parse import urlsplit

    if any(os.environ.get(v) for v in _PROXY_VARS):
        return None
    url = urlsplit(_endpoint())
    host = url.hostname or ""
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        socket.create_connection((host, port), timeout=REACH_TIMEOUT).close()
    except socket.gaierror:
        return f"cannot resolve {host}"
    except TimeoutError:
        return f"no answer from {host} in {REACH_TIMEOUT:.0f} s"
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def _repo_files(repo_id: str, revision: str | None) -> list[str]:
    from huggingface_hub import HfApi

    if is_offline():
        raise QuillpenError(f"offline: cannot list the files of {repo_id}; give repo:file.gguf")
    unreachable = _unreachable()
    if unreachable is not None:
        raise QuillpenError(
            f"cannot reach the Hub at {_endpoint()} ({unreachable}) to list {repo_id}: "
            "check your network or HF_ENDPOINT"
        )
    try:
        info = HfApi().model_info(repo_id, revision=revision)
    except Exception as exc:
        raise _explain(exc, repo_id) from None
    return [s.rfilename for s in (info.siblings or [])]


def _pick_gguf(files: list[str], quant: str, repo_id: str) -> str:
    ggufs = [f for f in files if f.lower().endswith(".gguf")]
    if not ggufs:
        raise QuillpenError(f"{repo_id}: no .gguf files and no GPT-2 safetensors checkpoint")
    for f in ggufs:
        if quant.lower() in f.lower():
            return f
    raise QuillpenError(f"{repo_id}: no {quant} file; it has {', '.join(sorted(ggufs))}")


def _finish_official(
    name: str,
    folder: Path,
    quant: str,
    n_embd: int | None,
    notify: Notify,
    cancel: threading.Event | None = None,
) -> Path:
    """Convert the downloaded checkpoint in ``folder`` and quantize it to ``quant``.

    Both steps run in a child process (:mod:`models.hub.child_job`): ``cancel`` stops them.
    """
    from models.hub import child_job, quantize
    from models.hub.convert import GPT2Config

    config = GPT2Config.read(folder / "config.json")
    actual, notice = quantize.effective_quant(quant, n_embd or config.n_embd)
    if notice:
        notify(notice)
    final = model_path(name, actual)
    if final.exists():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    f16 = model_path(name, "F16")
    keep_f16 = f16.exists() or actual == "F16"
    if not f16.exists():
        notify(f"converting {name} to GGUF (F16)…")
        child_job.run("convert", out=f16, cancel=cancel, src=folder, type="f16", name=name)
    if actual == "F16":
        return f16
    notify(f"quantizing {name} to {actual}…")
    try:
        child_job.run("quantize", out=final, cancel=cancel, src=f16, quant=actual)
    finally:
        if not keep_f16:  # an intermediate file: the checkpoint stays cached for other quants
            f16.unlink(missing_ok=True)
    return final


def pull(
    name: str,
    *,
    quant: str = catalog.DEFAULT_QUANT,
    source: str = "official",
    notify: Notify = lambda _msg: None,
    tqdm_class: Any = None,
    cancel: threading.Event | None = None,
) -> Path:
    """Make ``name`` ready to load and return the path of its .gguf.

    ``cancel`` stops the convert and quantize steps (``tqdm_class`` carries the download's).

    ``name`` is a catalog name, ``owner/repo`` (a GGUF repo or a GPT-2 safetensors repo), or
    ``owner/repo:file.gguf``. Already-converted files are reused without any network call.
    """
    quant = catalog.normalize_quant(quant)
    if source not in ("official", "gguf"):
        raise QuillpenError(f"unknown source {source!r}: choose official or gguf")

    if ":" in name:
        repo_id, filename = name.split(":", 1)
        target = model_path(repo_id, Path(filename).stem)
        if target.exists():
            return target
        return _place(download(repo_id, filename, None, tqdm_class=tqdm_class), target)

    if "/" not in name:
        spec = catalog.get(name)
        return _pull_catalog(spec, quant, source, notify, tqdm_class, cancel)

    for ready in (quant, K_QUANT_FALLBACK.get(quant)):  # narrow models fall back from K-quants
        if ready and model_path(name, ready).exists():
            return model_path(name, ready)
    files = _repo_files(name, None)
    vocab = catalog.checkpoint_vocab(files)
    if vocab is not None:  # a checkpoint (safetensors or pytorch_model.bin, BPE or WordPiece)
        wanted = catalog.checkpoint_files(vocab, files)
        folder = _download_official(name, None, None, tqdm_class, wanted)
        return _finish_official(name, folder, quant, None, notify, cancel)
    chosen = _pick_gguf(files, quant, name)
    return _place(download(name, chosen, None, tqdm_class=tqdm_class), model_path(name, quant))


def _pull_catalog(
    spec: ModelSpec,
    quant: str,
    source: str,
    notify: Notify,
    tqdm_class: Any,
    cancel: threading.Event | None = None,
) -> Path:
    if source == "gguf":
        if spec.gguf is None or quant not in spec.gguf.files:
            have = ", ".join(spec.gguf.files) if spec.gguf else "none"
            raise QuillpenError(
                f"no community GGUF of {spec.name} at {quant} (available: {have}); "
                "use --source official to convert it locally"
            )
        entry = spec.gguf.files[quant]
        target = model_path(spec.name, quant)
        if target.exists():
            return target
        path = download(
            spec.gguf.repo_id,
            entry.filename,
            spec.gguf.revision,
            sha256=entry.sha256,
            tqdm_class=tqdm_class,
        )
        return _place(path, target)
    actual, _ = effective_quant(quant, spec.n_embd)
    if model_path(spec.name, actual).exists():
        return model_path(spec.name, actual)
    if not is_offline():
        notify(f"fetching {spec.repo_id} at {spec.revision[:10]} from {_endpoint()}…")
    listed = None
    if spec.vocab == "wordpiece":  # which weights and settings it has (offline: has cached)
        listed = _cached(spec) if is_offline() else _repo_files(spec.repo_id, spec.revision)
    wanted = spec.files_to_fetch(listed)
    folder = _download_official(
        spec.repo_id, spec.revision, spec.safetensors_sha256, tqdm_class, wanted
    )
    return _finish_official(spec.name, folder, quant, spec.n_embd, notify, cancel)


def _cached(spec: ModelSpec) -> list[str]:
    """The WordPiece checkpoint files of ``spec`` in the cache at its revision."""
    from huggingface_hub import try_to_load_from_cache

    names = (*catalog.WORDPIECE_FILES, *catalog.WORDPIECE_OPTIONAL, "model.safetensors")
    paths = [
        try_to_load_from_cache(spec.repo_id, n, locations.hub_dir(), spec.revision) for n in names
    ]
    return [n for n, path in zip(names, paths, strict=True) if isinstance(path, str)]


def _endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co")


def _download_official(
    repo_id: str,
    revision: str | None,
    weights_sha256: str | None,
    tqdm_class: Any,
    files: tuple[str, ...] = catalog.OFFICIAL_FILES,
) -> Path:
    folder: Path | None = None
    for filename in files:
        expected = weights_sha256 if filename == "model.safetensors" else None
        path = download(repo_id, filename, revision, sha256=expected, tqdm_class=tqdm_class)
        folder = path.parent
    assert folder is not None
    return folder


def _place(downloaded: Path, target: Path) -> Path:
    """Link (or copy) a verified download into the models folder, atomically."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    blob = Path(os.path.realpath(downloaded))
    try:
        os.link(blob, partial)
    except OSError:
        try:
            shutil.copyfile(blob, partial)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise _explain(exc, target.name) from None
    os.replace(partial, target)
    return target
