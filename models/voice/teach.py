"""Teaching a voice, start to end: the base checkpoint, the data, training in a child process,
and the result in the model cache.

:func:`prepare` checks everything that can fail cheaply (the base, the texts, the window) and
writes the work folder; :class:`Training` runs the worker (``os.nice``-ed, in its own session)
and hands each progress event to a callback; :func:`finish` merges the best checkpoint into the
base, quantizes it and stores it as ``NAME`` with its metadata. The CLI and the app share these.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from models.errors import QuillpenError
from models.hub import catalog
from models.voice import corpus, place
from models.voice.job import DEFAULT_LR, Job

INSTALL_HINT = (
    "teaching a voice needs the voice extra: run `uv sync --extra voice` "
    "(or `pip install 'quillpen[voice]'`)"
)
Event = dict[str, Any]


def require_library() -> None:
    """A clear one-line error when JAX and optax are not installed."""
    import importlib.util

    if importlib.util.find_spec("jax") is None or importlib.util.find_spec("optax") is None:
        raise QuillpenError(INSTALL_HINT)


def base_checkpoint(base: str, notify: Callable[[str], None] = lambda _m: None) -> Path:
    """The checkpoint folder for ``--base``: a local folder, a catalog name or a Hub repo id."""
    from models.hub import download as hub

    path = Path(base).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise QuillpenError(f"{path}: no config.json: not a GPT-2 checkpoint folder")
        return path
    if "/" in base and (base.startswith((".", "/", "~")) or path.exists()):
        raise QuillpenError(f"base model {base!r}: no such folder")
    if "/" not in base:
        if base not in catalog.CATALOG:
            raise QuillpenError(
                f"base model {base!r}: not a catalog name ({', '.join(catalog.CATALOG)}), "
                "a Hub repo id or a checkpoint folder"
            )
        spec = catalog.CATALOG[base]
        listed = hub._cached(spec) if spec.vocab == "wordpiece" and hub.is_offline() else None
        if spec.vocab == "wordpiece" and listed is None:
            listed = hub._repo_files(spec.repo_id, spec.revision)
        notify(f"getting {spec.repo_id} (the base checkpoint)…")
        return hub._download_official(
            spec.repo_id, spec.revision, spec.safetensors_sha256, None, spec.files_to_fetch(listed)
        )
    files = hub._repo_files(base, None)
    vocab = catalog.checkpoint_vocab(files)
    if vocab is None:
        raise QuillpenError(f"{base}: no GPT-2 checkpoint (config.json + weights) in that repo")
    return hub._download_official(base, None, None, None, catalog.checkpoint_files(vocab, files))


def default_quant(base: str) -> str:
    """The quant of the base model as the cache has it, else the catalog's default."""
    from models.hub.cache import list_local
    from models.hub.download import safe_name

    have = [m.quant for m in list_local() if m.name == safe_name(base)]
    return have[0] if have else catalog.DEFAULT_QUANT


@dataclass
class Prepared:
    name: str
    workdir: Path
    job: Job
    corpus: corpus.Corpus | None
    base_gguf: Path
    quant: str
    train_tokens: int
    held_tokens: int


def prepare(
    name: str,
    base: str,
    paths: list[Path],
    *,
    full: bool = False,
    holdout: float = 0.15,
    epochs: float = 3.0,
    minutes: float = 0.0,
    lr: float | None = None,
    quant: str | None = None,
    seq: int = 256,
    sample_every: int = 0,
    eval_every: int | None = None,
    notify: Callable[[str], None] = lambda _m: None,
    **extra: Any,
) -> Prepared:
    """Check and write everything training needs; nothing is trained yet."""
    from models.hub.download import safe_name
    from models.voice.export import to_gguf
    from models.voice.tokens import Tokenizer

    if name in catalog.CATALOG or safe_name(name) != name:
        raise QuillpenError(
            f"{name!r} cannot name a voice: choose a new name of ASCII letters, digits, "
            "'.', '_' and '-' (it names files)"
        )
    texts = corpus.load(paths, holdout)  # cheap errors first: empty, binary, hold-out
    src = base_checkpoint(base, notify)
    from models.hub.convert import GPT2Config

    config = GPT2Config.read(src / "config.json")
    quant = catalog.normalize_quant(quant or default_quant(base))
    seq = min(seq, config.n_ctx)
    work = place.workdir(name)
    for stale in ("last.npz", "best.npz"):
        (work / stale).unlink(missing_ok=True)
    notify(f"making the base model's {quant} file for comparison…")
    try:
        base_gguf, quant = to_gguf(
            src, work / f"base.{quant}.gguf", quant, config.n_embd, name=base
        )
    except QuillpenError as exc:
        disk = "could not write" in str(exc) and "disk full" not in str(exc)
        raise QuillpenError(f"{exc} (is the disk full?)" if disk else str(exc)) from None
    tok = Tokenizer(base_gguf)
    try:
        train, held = tok.pack(texts.train), tok.pack(texts.held_out)
    finally:
        tok.close()
    if len(train) < seq + 1:
        raise QuillpenError(
            f"the training texts are {len(train)} tokens, shorter than one window of {seq + 1}: "
            "add more text (or a smaller --window)"
        )
    try:
        np.savez(work / "data.npz", train=train, held=held)
        (work / "texts.json").write_text(
            json.dumps({"train": texts.train, "held_out": texts.held_out}), encoding="utf-8"
        )
    except OSError as exc:
        raise QuillpenError(
            f"could not write {work}: {exc.strerror or exc} (is the disk full?)"
        ) from None
    per_epoch = max(1, len(train) // seq)
    job = Job(
        base_dir=str(src),
        full=full,
        lr=lr or DEFAULT_LR["full" if full else "lora"],
        epochs=epochs,
        minutes=minutes,
        seq=seq,
        eval_every=eval_every or max(5, min(100, per_epoch // 2)),
        sample_every=sample_every,
        vocab=str(base_gguf),
        **extra,
    )
    job.write(work)
    info = {
        "name": name,
        "base": base,
        "quant": quant,
        "size": texts.size,
        "sha256": texts.sha256,
        "files": texts.files,
        "pieces": len(texts.train) + len(texts.held_out),
        "held_out_pieces": len(texts.held_out),
        "train_tokens": len(train),
        "held_tokens": len(held),
        "train_chars": texts.train_chars,
        "held_chars": texts.held_out_chars,
    }
    try:
        (work / "corpus.json").write_text(json.dumps(info), encoding="utf-8")
    except OSError as exc:
        raise QuillpenError(f"could not write {work}: {exc.strerror or exc}") from None
    return Prepared(name, work, job, texts, base_gguf, quant, len(train), len(held))


def resume_job(name: str, **changes: Any) -> Job:
    """The saved job of ``name``, to continue from its last checkpoint."""
    work = place.workdir(name)
    if not (work / "job.json").is_file() or not (work / "last.npz").is_file():
        raise QuillpenError(f"nothing to resume for {name!r}: no checkpoint in {work}")
    job = Job.read(work)
    fields = {**job.__dict__, **{k: v for k, v in changes.items() if v is not None}, "resume": True}
    job = Job(**fields)
    job.write(work)
    return job


class Training:
    """The worker process: start it, read its events, stop it (keeping the best checkpoint)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.done: Event | None = None
        self.error: str | None = None
        self._log: IO[bytes] = (workdir / "worker.log").open("wb")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "models.voice.worker", str(workdir)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._log,
            start_new_session=True,  # the terminal's Ctrl+C reaches us; we pass it on
            env=env,
        )

    def read_event(self) -> Event | None:
        """The worker's next event; None once it has exited."""
        assert self.proc.stdout is not None
        while True:
            line = self.proc.stdout.readline()
            if not line:
                self.proc.wait()
                self._log.close()
                return None
            try:
                event: Event = json.loads(line)
            except ValueError:
                continue
            if event.get("event") == "done":
                self.done = event
            elif event.get("event") == "error":
                self.error = str(event.get("message"))
            return event

    def stop(self) -> None:
        """Ask the worker to stop after its current step (it keeps the best checkpoint)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()

    def result(self) -> Event:
        """The ``done`` event, or a clear error for a failed or crashed worker."""
        if self.error:
            raise QuillpenError(self.error)
        if self.done is None:
            tail = (self.workdir / "worker.log").read_text(errors="replace").strip().splitlines()
            reason = tail[-1] if tail else f"exit status {self.proc.returncode}"
            raise QuillpenError(
                f"training stopped unexpectedly: {reason} (see {self.workdir / 'worker.log'}; "
                "`--resume` continues from the last checkpoint)"
            )
        return self.done


def run_training(
    workdir: Path, on_event: Callable[[Event], None], cancel: threading.Event | None = None
) -> Event:
    """Run the worker to the end, calling ``on_event`` for each event; ``cancel`` (or Ctrl+C)
    stops it early with the best checkpoint kept."""
    training = Training(workdir)
    watcher: threading.Thread | None = None
    if cancel is not None:

        def watch() -> None:
            while training.proc.poll() is None:
                if cancel.wait(0.1):
                    training.stop()
                    return

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
    while True:
        try:
            event = training.read_event()
        except KeyboardInterrupt:
            training.stop()
            continue
        if event is None:
            break
        on_event(event)
    return training.result()
