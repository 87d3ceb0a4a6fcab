"""Safe mode, decided before it is needed: may llama.cpp use its extra buffer types here?

On Intel CPUs with AMX, llama.cpp repacks Q4_K/Q6_K/Q8_0 weights into an AMX buffer, and on
some of them (llama-cpp-python 0.3.36) the first decode then segfaults. Loading without extra
buffer types (``use_extra_bufts = False``) decodes correctly, a little slower to read a prompt.

The decision (:func:`decide`):
- ``cpu_repack = "on"`` or ``"off"`` (setting or ``--cpu-repack``) wins;
- ``"auto"``: a CPU without AMX uses the extra buffers; one with AMX is probed once: a child
  process quantizes a tiny model and decodes with extra buffers. If the child dies, safe mode.
  The result is remembered in the state dir, keyed by the llama.cpp version and the CPU.

``python -m models.local.cpu_probe_run`` is that child.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from models import locations
from models.child_python import child_env, module_argv
from models.native_crash import signal_name

log = logging.getLogger("quillpen.cpu_probe")
CHOICES = ("auto", "on", "off")
CACHE_NAME = "cpu-probe.json"
INFO_ENV = "QUILLPEN_TEST_SYSTEM_INFO"
"""Test-only: pretend llama.cpp printed this system info line."""
PROBE_TIMEOUT = 120.0
SAFE_REASON = (
    "safe mode: llama.cpp's AMX/repack code crashed on this CPU in a test, so models load "
    'without it (slightly slower prompt reading; set cpu_repack = "on" to override)'
)


@dataclass(frozen=True)
class RepackDecision:
    extra_bufts: bool
    source: str
    """"setting", "no AMX", "probe" or "probe (cached)"."""
    reason: str = ""
    """Why safe mode is on, for a notice ("" when it is off)."""

    @property
    def news(self) -> bool:
        """Safe mode just decided by a probe: worth telling once (then it is remembered)."""
        return not self.extra_bufts and self.source == "probe"

    def describe(self) -> str:
        mode = "on (extra buffer types)" if self.extra_bufts else "off (safe mode)"
        return f"{mode}, by {self.source}"


def system_info() -> str:
    fake = os.environ.get(INFO_ENV)
    if fake is not None:
        return fake
    import llama_cpp

    return str(llama_cpp.llama_print_system_info().decode("utf-8", "replace"))


def has_amx(info: str) -> bool:
    return re.search(r"\bAMX_INT8\s*=\s*1\b", info) is not None


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or platform.machine()


def machine_key(info: str) -> str:
    """The llama.cpp version and this CPU (its name and the features llama.cpp reports)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        llama_version = version("llama-cpp-python")
    except PackageNotFoundError:
        llama_version = "unknown"
    raw = f"{llama_version}|{_cpu_name()}|{' '.join(info.split())}"
    return f"llama-cpp-python {llama_version}, " + hashlib.sha256(raw.encode()).hexdigest()[:16]


def _cache_path() -> Path:
    return locations.state_dir() / CACHE_NAME


def _read_cache() -> dict[str, dict[str, object]]:
    try:
        data = json.loads(_cache_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_cache(key: str, ok: bool, detail: str) -> None:
    data = _read_cache()
    data[key] = {"extra_bufts_ok": ok, "detail": detail, "when": time.strftime("%Y-%m-%d")}
    path = _cache_path()
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:  # the decision still holds for this run
        log.warning("cannot remember the CPU probe's result: %s", exc)


def run_probe(timeout: float = PROBE_TIMEOUT) -> tuple[bool | None, str]:
    """Run the probe child: (True: extra buffers work, False: it crashed, None: unknown)."""
    try:
        proc = subprocess.run(
            module_argv("models.local.cpu_probe_run"),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            env=child_env(),
        )
    except subprocess.TimeoutExpired:
        return None, f"the probe took over {timeout:.0f} s"
    except OSError as exc:
        return None, f"cannot start the probe: {exc}"
    if proc.returncode == 0:
        return True, "a test decode with extra buffer types worked"
    if proc.returncode < 0:
        return (
            False,
            f"a test decode with extra buffer types died ({signal_name(-proc.returncode)})",
        )
    last = (proc.stderr.decode("utf-8", "replace").strip().splitlines() or ["no output"])[-1]
    return None, f"the probe failed (exit code {proc.returncode}: {last})"


def decide(
    setting: str = "auto",
    *,
    info: str | None = None,
    probe: Callable[[], tuple[bool | None, str]] = run_probe,
) -> RepackDecision:
    """Whether to load models with llama.cpp's extra buffer types (see the module doc)."""
    setting = (setting or "auto").lower()
    if setting == "on":
        return RepackDecision(True, "setting")
    if setting == "off":
        return RepackDecision(False, "setting", "safe mode: cpu_repack is off")
    info = system_info() if info is None else info
    if not has_amx(info):
        return RepackDecision(True, "no AMX")
    key = machine_key(info)
    if probe is run_probe and key in _decided:
        return _decided[key]
    decision = _probe_or_cached(key, probe)
    if probe is run_probe and decision.source == "probe":
        _decided[key] = replace(decision, source="probe (cached)")  # news only once
    return decision


_decided: dict[str, RepackDecision] = {}
"""This process's decisions: the probe's cache file may live in another state dir (tests)."""


def _probe_or_cached(key: str, probe: Callable[[], tuple[bool | None, str]]) -> RepackDecision:
    cached = _read_cache().get(key)
    if isinstance(cached, dict) and isinstance(cached.get("extra_bufts_ok"), bool):
        ok = bool(cached["extra_bufts_ok"])
        return RepackDecision(ok, "probe (cached)", "" if ok else SAFE_REASON)
    ok_or_unknown, detail = probe()
    log.warning("CPU probe: %s", detail)
    if ok_or_unknown is None:  # not a crash: stay safe now, probe again next time
        return RepackDecision(False, "probe", f"safe mode: {detail}")
    _write_cache(key, ok_or_unknown, detail)
    return RepackDecision(ok_or_unknown, "probe", "" if ok_or_unknown else SAFE_REASON)


# The probe child ---------------------------------------------------------------------------
