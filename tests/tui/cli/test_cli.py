"""The `quillpen` command line, run as a user runs it (subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def quillpen(
    *args: str, input: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        input=input,
        env=full_env,
        timeout=120,
    )


def assert_clean_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0]


def test_convert_then_generate(tiny_checkpoint: Path, tmp_path: Path) -> None:
    out = tmp_path / "tiny.gguf"
    conv = quillpen("models", "convert", str(tiny_checkpoint), "--out", str(out), "--type", "q8_0")
    assert conv.returncode == 0, conv.stderr
    assert conv.stdout.strip().splitlines()[-1] == str(out)
    gen = quillpen(
        "generate", "--model", str(out), "--max-tokens", "12", "--seed", "4", "Once upon a time"
    )
    assert gen.returncode == 0, gen.stderr
    assert len(gen.stdout.strip()) > 0
    again = quillpen(
        "generate", "--model", str(out), "--max-tokens", "12", "--seed", "4", "Once upon a time"
    )
    assert again.stdout == gen.stdout
    assert "Traceback" not in gen.stderr and "llama_" not in gen.stderr


def test_convert_to_k_quant_reports_fallback(tiny_checkpoint: Path, tmp_path: Path) -> None:
    out = tmp_path / "tiny.q4.gguf"
    res = quillpen("models", "convert", str(tiny_checkpoint), "--out", str(out), "--type", "q4_k_m")
    assert res.returncode == 0, res.stderr
    assert "Q5_0" in res.stderr
    assert out.exists() and not list(tmp_path.glob("*.tmp"))


def test_generate_reads_stdin_and_prompt_over_window(tiny_gguf: Path) -> None:
    res = quillpen("generate", "--model", str(tiny_gguf), "--max-tokens", "5", input="word " * 3000)
    assert res.returncode == 0, res.stderr
    assert "window" in res.stderr


@pytest.mark.parametrize(
    "args,words",
    [
        (("generate", "--model", "gpt5", "hi"), ("unknown model", "gpt2")),
        (("generate", "--model", "gpt2", "hi"), ("not downloaded", "models pull gpt2")),
        (("generate", "--model", "/nonexistent/m.gguf", "hi"), ("no such model file",)),
        (("models", "rm", "gpt2"), ("no local model",)),
        (("models", "pull", "gpt2", "--quant", "Q3"), ("unknown quantization",)),
        (("models", "convert", "/nonexistent", "--out", "x.gguf"), ("not a directory",)),
    ],
)
def test_user_errors_are_one_clear_line(args: tuple[str, ...], words: tuple[str, ...]) -> None:
    assert_clean_error(quillpen(*args), *words)


def test_random_bytes_named_gguf(tmp_path: Path) -> None:
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(os.urandom(4096))
    assert_clean_error(quillpen("generate", "--model", str(bad), "hi"), "not a GGUF")


def test_list_catalog_shows_each_models_language() -> None:
    res = quillpen("models", "list", "--catalog")
    assert res.returncode == 0, res.stderr
    rows = {line.split()[0]: line.split() for line in res.stdout.splitlines()}
    assert rows["gpt2"][1] == "en"
    assert rows["gpt2-chinese-poem"][1] == "zh"
    assert rows["gpt2-chinese-poem"][-1] == "uer/gpt2-chinese-poem"


def test_list_empty_then_doctor() -> None:
    res = quillpen("models", "list")
    assert res.returncode == 0 and "no models yet" in res.stdout
    doc = quillpen("doctor")
    assert doc.returncode == 0, doc.stderr
    for word in ("llama-cpp-python", "cache:", "GPU offload:", "threads:"):
        assert word in doc.stdout
    assert os.environ["XDG_CACHE_HOME"] in doc.stdout


def test_offline_pull_without_cache_fails_clearly() -> None:
    res = quillpen("models", "pull", "gpt2", "--offline", env={"HF_ENDPOINT": "http://127.0.0.1:9"})
    assert_clean_error(res, "offline")


def test_generate_max_tokens_zero_writes_nothing(tiny_gguf: Path) -> None:
    run = quillpen("generate", "--model", str(tiny_gguf), "--max-tokens", "0", "Once")
    assert run.returncode == 0 and run.stdout == "" and run.stderr == ""
    args = ("generate", "--model", str(tiny_gguf), "--max-tokens", "0", "-n", "2", "--json", "Once")
    as_json = quillpen(*args)
    assert json.loads(as_json.stdout) == {"texts": ["", ""], "tokens": [[], []], "seconds": 0.0}
    bad = quillpen("generate", "--model", str(tiny_gguf), "--max-tokens", "-3", "Once")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert (
        bad.stderr.strip()
        .splitlines()[-1]
        .endswith("--max-tokens: takes a whole number, 0 or more")
    )


def test_generate_max_tokens_zero_on_a_server_writes_nothing(llama_server: str) -> None:
    """The same answer as a local model: no text, or with --json the object with empty texts
    (a server used to print nothing at all there)."""
    run = quillpen("generate", "--engine", llama_server, "--max-tokens", "0", "Once")
    assert run.returncode == 0 and run.stdout == "", run.stderr
    args = ("generate", "--engine", llama_server, "--max-tokens", "0", "-n", "2", "--json", "Once")
    as_json = quillpen(*args)
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout) == {"texts": ["", ""], "tokens": [[], []], "seconds": 0.0}


def test_offline_in_config_holds_for_the_cli(user_dirs: dict[str, Path]) -> None:
    config = user_dirs["config"] / "quillpen"
    config.mkdir(parents=True, exist_ok=True)
    (config / "config.toml").write_text("offline = true\n")
    run = quillpen("doctor")
    assert run.returncode == 0 and "offline:     yes" in run.stdout
    pull = quillpen("models", "pull", "gpt2")  # nothing cached: says so, without a connection
    assert_clean_error(pull, "offline")


def test_config_problems_are_said_by_every_command(user_dirs: dict[str, Path]) -> None:
    """A misspelt `offline` must not leave a script online without a word."""
    config = user_dirs["config"] / "quillpen"
    config.mkdir(parents=True, exist_ok=True)
    (config / "config.toml").write_text("offlne = true\n")
    run = quillpen("doctor")
    assert run.returncode == 0 and "offline:     no" in run.stdout
    assert run.stderr == "quillpen: config.toml: unknown setting 'offlne'; ignored\n"


def test_verbose_app_logs_to_a_file_not_the_screen(user_dirs: dict[str, Path]) -> None:
    import logging

    from tui import cli

    root = logging.getLogger()
    saved = root.handlers[:]
    root.handlers = []
    try:
        cli._setup(cli.app_parser().parse_args(["-v"]), app=True)
        [handler] = root.handlers
        assert isinstance(handler, logging.FileHandler)
        assert Path(handler.baseFilename) == user_dirs["state"] / "quillpen" / "quillpen.log"
        logging.getLogger("quillpen.test").info("hello")
        handler.flush()
        assert "hello" in Path(handler.baseFilename).read_text()
        handler.close()
    finally:
        root.handlers = saved


def test_an_unreachable_hub_is_said_in_seconds(user_dirs: dict[str, Path]) -> None:
    """Nothing listens at HF_ENDPOINT: one clear line at once (huggingface_hub alone retried
    for ~23 s before giving up)."""
    import socket
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again below: connections are refused
    started = time.monotonic()
    run = quillpen("models", "pull", "gpt2", env={"HF_ENDPOINT": f"http://127.0.0.1:{port}"})
    elapsed = time.monotonic() - started
    assert run.returncode == 1 and "Traceback" not in run.stderr
    last = run.stderr.strip().splitlines()[-1]  # after the "fetching …" progress line
    for words in ("cannot reach the Hub", f"127.0.0.1:{port}", "not in the cache"):
        assert words in last, last
    assert elapsed < 10, elapsed
