"""Safe mode decided before it is needed: the AMX probe, its cache, settings, CLI and app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from models.local import cpu_probe
from models.local.cpu_probe import INFO_ENV, decide, has_amx, run_probe
from models.local.engine import Engine
from models.local.process import CRASH_ENV
from models.sampling import SamplerSettings
from tests.support.helpers import continued, wait_until
from tests.support.logits import next_logits
from tui import cli
from tui.app import QuillpenApp
from tui.config import Settings

AMX = "CPU : SSE3 = 1 | AVX2 = 1 | AVX512 = 1 | AMX_INT8 = 1 | OPENMP = 1 | REPACK = 1 |"
NO_AMX = "CPU : SSE3 = 1 | AVX2 = 1 | FMA = 1 | OPENMP = 1 | REPACK = 1 |"


def never() -> tuple[bool | None, str]:
    raise AssertionError("the probe must not run")


def test_amx_is_read_from_llama_cpps_system_info(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(INFO_ENV, raising=False)
    assert has_amx(AMX) and not has_amx(NO_AMX)
    assert not has_amx("AMX_INT8 = 0 | AMX_INT8_X = 1")
    import llama_cpp

    real = llama_cpp.llama_print_system_info().decode()
    assert cpu_probe.system_info() == real  # no fake set: the real line


def test_without_amx_extra_buffers_are_used_and_nothing_is_probed() -> None:
    decision = decide("auto", info=NO_AMX, probe=never)
    assert decision.extra_bufts and decision.source == "no AMX" and not decision.reason


def test_settings_override_the_probe() -> None:
    assert decide("on", info=AMX, probe=never).extra_bufts
    off = decide("off", info=NO_AMX, probe=never)
    assert not off.extra_bufts and off.source == "setting" and "safe mode" in off.reason


def forget_probes(user_dirs: dict[str, Path]) -> None:
    """No remembered probe (on an AMX machine the suite seeds this machine's)."""
    (user_dirs["state"] / "quillpen" / "cpu-probe.json").unlink(missing_ok=True)
    cpu_probe._decided.clear()


def test_a_crashing_probe_means_safe_mode_remembered_per_machine(
    user_dirs: dict[str, Path],
) -> None:
    forget_probes(user_dirs)
    calls: list[int] = []

    def crashed() -> tuple[bool | None, str]:
        calls.append(1)
        return False, "a test decode with extra buffer types died (SIGSEGV)"

    first = decide("auto", info=AMX, probe=crashed)
    assert not first.extra_bufts and first.source == "probe" and "crashed" in first.reason
    again = decide("auto", info=AMX, probe=never)  # remembered: no second probe
    assert not again.extra_bufts and again.source == "probe (cached)"
    assert calls == [1]
    cache = json.loads((user_dirs["state"] / "quillpen" / "cpu-probe.json").read_text())
    [(key, record)] = cache.items()
    assert key.startswith("llama-cpp-python ") and record["extra_bufts_ok"] is False
    # Another CPU (or another llama.cpp) is another key: probed afresh.
    other = decide("auto", info=AMX + " AVX512_BF16 = 1 |", probe=lambda: (True, "worked"))
    assert other.extra_bufts and other.source == "probe"


def test_an_unfinished_probe_is_safe_now_and_not_remembered(user_dirs: dict[str, Path]) -> None:
    forget_probes(user_dirs)
    decision = decide("auto", info=AMX, probe=lambda: (None, "the probe took over 120 s"))
    assert not decision.extra_bufts and "120 s" in decision.reason
    assert not (user_dirs["state"] / "quillpen" / "cpu-probe.json").exists()


def test_the_real_probe_decodes_here_and_a_real_crash_is_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ok, detail = run_probe()
    if has_amx(cpu_probe.system_info()):  # an AMX machine may really crash: either is an answer
        assert ok is not None, detail
    else:
        assert ok is True, detail
    monkeypatch.setenv(CRASH_ENV, "probe")
    crashed, detail = run_probe()
    assert crashed is False and "SIGSEGV" in detail


def test_safe_mode_loads_and_decodes_the_same(tiny_gguf: Path) -> None:
    settings = SamplerSettings(seed=5)
    safe = Engine.load(tiny_gguf, threads=1, extra_bufts=False)
    text = safe.complete("The sea", settings, max_tokens=20)
    logits = next_logits(safe, "The sea")
    safe.close()
    normal = Engine.load(tiny_gguf, threads=1)
    assert normal.complete("The sea", settings, max_tokens=20) == text
    assert abs(next_logits(normal, "The sea") - logits).max() < 1e-3
    normal.close()


def test_doctor_reports_the_decision(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(INFO_ENV, NO_AMX)
    assert cli.main(["doctor"]) == 0
    assert "cpu repack:  on (extra buffer types), by no AMX" in capsys.readouterr().out
    assert cli.main(["doctor", "--cpu-repack", "off"]) == 0
    assert "cpu repack:  off (safe mode), by setting" in capsys.readouterr().out
    monkeypatch.setenv(INFO_ENV, AMX)
    monkeypatch.setenv(CRASH_ENV, "probe")
    assert cli.main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "cpu repack:  off (safe mode), by probe" in out and "crashed on this CPU" in out


def test_config_sets_cpu_repack(user_dirs: dict[str, Path]) -> None:
    from tui import config

    path = user_dirs["config"] / "quillpen" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text('cpu_repack = "off"\n')
    assert config.load().cpu_repack == "off"
    path.write_text('cpu_repack = "sometimes"\n')
    loaded = config.load()
    assert loaded.cpu_repack == "auto" and "cpu_repack must be one of" in loaded.warnings[0]


def test_generate_honours_the_decision(
    tiny_gguf: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    user_dirs: dict[str, Path],
) -> None:
    """On an AMX machine whose probe crashes, `generate` says so and runs in safe mode."""
    forget_probes(user_dirs)
    monkeypatch.setenv(INFO_ENV, AMX)
    monkeypatch.setenv(CRASH_ENV, "probe")
    loads: list[bool] = []
    original = Engine.load.__func__  # type: ignore[attr-defined]

    def spy(cls: type[Engine], *args: object, **kwargs: object) -> Engine:
        loads.append(bool(kwargs.get("extra_bufts", True)))
        return original(cls, *args, **kwargs)  # type: ignore[no-any-return]

    monkeypatch.setattr(Engine, "load", classmethod(spy))
    rc = cli.main(["generate", "--model", str(tiny_gguf), "--max-tokens", "5", "--seed", "1", "Hi"])
    run = capsys.readouterr()
    assert rc == 0 and run.out.strip()
    assert "safe mode" in run.err and loads == [False]


async def test_app_on_a_crashing_amx_cpu_loads_in_safe_mode(
    tmp_path: Path, tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch, user_dirs: dict[str, Path]
) -> None:
    """The engine process probes before loading; the app says safe mode and Tab works."""
    forget_probes(user_dirs)
    monkeypatch.setenv(INFO_ENV, AMX)
    monkeypatch.setenv(CRASH_ENV, "probe")
    app = QuillpenApp(tmp_path / "s.md", model=str(tiny_gguf), settings=Settings())
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.model_name is not None, 60)
        assert app.status.state == "ready (safe mode)"
        assert any("crashed on this CPU" in n.message for n in app._notifications)
        await continued(pilot, app, *"Hi", "tab", timeout=30)
        assert len(app.editor.text) > 2
