"""Convert and quantize in a child process, so that Cancel really stops them.

llama.cpp's quantizer is one long native call that no Python thread can interrupt, and a crash
in it would end whatever process runs it. :func:`run` starts ``models.hub.child_job`` (as
``python -m`` would, without the current folder on ``sys.path``: :mod:`models.child_python`)
for one job (a convert under a memory limit), polls ``cancel`` every 50 ms, kills the child
when it is set, and removes the job's partial output. A failure comes back as a
:class:`QuillpenError` with the child's own message.

A job never outlives the app: :func:`end_all` (a hang-up, the exit) kills every job, and one
that starts after it is killed at once; should the app die without it (``kill -9``), the job
sees its stdin pipe close, removes its partial file and exits.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from models.child_python import child_env, module_argv
from models.errors import QuillpenError
from models.progress import PullCancelled

ERROR_PREFIX = "quillpen-error: "
DELAY_ENV = "QUILLPEN_TEST_QUANTIZE_DELAY"
"""Test-only: seconds a quantize job spends (with its partial file written) before it starts."""
CONVERT_DELAY_ENV = "QUILLPEN_TEST_CONVERT_DELAY"
"""Test-only: the same for a convert job."""
POLL = 0.05
MEMORY_BASE = 16 * 1024**3
"""Address space every job may use (Python, numpy, llama.cpp's threads and arenas)."""
MEMORY_PER_BYTE = 4
"""And per byte of its input files."""
_running: dict[subprocess.Popen[bytes], Path] = {}
_lock = threading.RLock()  # reentrant: a signal handler may call end_all inside run, on its thread
_ended = False
"""end_all ran: the app is going away, so a job that starts now is ended at once."""


def partial_of(path: Path) -> Path:
    """Where convert and quantize write ``path`` until it is complete."""
    return path.with_name(path.name + ".partial")


def run(kind: str, *, out: Path, cancel: threading.Event | None = None, **args: Any) -> Path:
    """Run job ``kind`` ("convert" or "quantize") writing ``out``; returns ``out``."""
    import json  # (the app imports this module at start, for its hang-up handler)

    spec = json.dumps({"kind": kind, "out": str(out), **{k: str(v) for k, v in args.items()}})
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            module_argv("models.hub.child_job", spec),
            stdin=subprocess.PIPE,  # never written: it closes when we go, and the job ends
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,  # Ctrl+C and hang-ups reach the app, which ends us
            env={"MALLOC_ARENA_MAX": "4", **child_env()},  # (arenas count against its limit)
        )
        with _lock:
            _running[proc] = out
        try:
            while proc.poll() is None:
                if _ended or (cancel is not None and cancel.is_set()):
                    proc.kill()
                    proc.wait()
                    partial_of(out).unlink(missing_ok=True)
                    raise PullCancelled(f"{kind} cancelled; nothing partial was kept")
                time.sleep(POLL)
        finally:
            with _lock:
                _running.pop(proc, None)
            if proc.poll() is None:  # an exception above (KeyboardInterrupt, ...)
                proc.kill()
                proc.wait()
                partial_of(out).unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                assert proc.stdin is not None
                proc.stdin.close()
        err.seek(0)
        lines = err.read().decode("utf-8", "replace").strip().splitlines()
    if proc.returncode == 0:
        return out
    partial_of(out).unlink(missing_ok=True)
    for line in reversed(lines):
        if line.startswith(ERROR_PREFIX):
            raise QuillpenError(line.removeprefix(ERROR_PREFIX))
    if proc.returncode < 0:
        from models.native_crash import signal_name

        raise QuillpenError(f"the {kind} step crashed ({signal_name(-proc.returncode)})")
    last = lines[-1] if lines else "no output"
    raise QuillpenError(f"the {kind} step failed (exit code {proc.returncode}: {last})")


def end_all() -> None:
    """Kill every running job and remove its partial output (the app is going away); a job
    that starts from now on is ended at once. Safe in a signal handler."""
    global _ended
    _ended = True
    with _lock:
        jobs = list(_running.items())
    for proc, out in jobs:
        with contextlib.suppress(OSError):
            proc.kill()
        with contextlib.suppress(OSError):
            proc.wait(timeout=0.5)
        partial_of(out).unlink(missing_ok=True)


atexit.register(end_all)


def _end_with_the_app(out: Path) -> None:
    """Exit, removing the partial file, as soon as stdin closes (the app is gone)."""

    def watch() -> None:
        while os.read(0, 1):
            pass
        partial_of(out).unlink(missing_ok=True)
        os._exit(1)

    threading.Thread(target=watch, name="app-watch", daemon=True).start()


def _test_delay(env: str, out: Path) -> None:
    delay = float(os.environ.get(env) or 0)
    if delay:
        partial_of(out).write_bytes(b"GGUF")
        time.sleep(delay)


def memory_limit(src: Path) -> int:
    """Bytes of address space a job on ``src`` may use: enough for any honest model (its files
    mapped several times over), too little for a hostile one to take the machine's memory."""
    files = [src] if src.is_file() else [f for f in src.iterdir() if f.is_file()]
    size = sum(f.stat().st_size for f in files)
    return MEMORY_BASE + MEMORY_PER_BYTE * size


def _limit_memory(src: Path) -> None:
    import resource

    limit = memory_limit(src)
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _main(spec: dict[str, str]) -> None:
    out = Path(spec["out"])
    _end_with_the_app(out)
    if spec["kind"] == "convert":
        # Convert reads outside files: bounded. (Quantize reads the GGUF convert wrote, and
        # llama.cpp's GPU builds reserve much address space as they start.)
        _limit_memory(Path(spec["src"]))
        from models.hub.convert import convert

        _test_delay(CONVERT_DELAY_ENV, out)
        convert(Path(spec["src"]), out, spec["type"], name=spec.get("name") or None)
    elif spec["kind"] == "quantize":
        from models.hub.quantize import quantize

        _test_delay(DELAY_ENV, out)
        quantize(Path(spec["src"]), out, spec["quant"])
    else:
        raise QuillpenError(f"unknown job {spec['kind']!r}")


if __name__ == "__main__":
    import json

    try:
        _main(json.loads(sys.argv[1]))
    except QuillpenError as exc:
        print(ERROR_PREFIX + str(exc), file=sys.stderr)
        sys.exit(1)
    except MemoryError:
        print(
            ERROR_PREFIX + "the step needed more memory than its files can justify: the model "
            "files are damaged or hostile",
            file=sys.stderr,
        )
        sys.exit(1)
