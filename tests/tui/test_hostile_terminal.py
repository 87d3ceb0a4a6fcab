"""Outside text never reaches the terminal with its escape sequences, nor with the API key.

Every path from outside text to the screen or stderr is fed an OSC 0 (set the window title) and
a CSI sequence: a server's model id (status bar, remote models list), a server's error message
(CLI), a Hub repo's file names ("no Q8_0 file; it has …"), a name from inside a pickle. No ESC
may come out. The model layer's errors make their text safe as they are made
(:class:`models.errors.QuillpenError`), so a new message that quotes outside text is safe too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from models.errors import QuillpenError
from models.hub import torch_pickle
from models.hub.download import _pick_gguf
from tests.support.helpers import wait_until
from tests.support.hostileserver import HostileServer, json_answer
from tui.app import QuillpenApp
from tui.config import Settings
from tui.screens.remote_models import RemoteModelsScreen

ROOT = Path(__file__).resolve().parents[2]
TITLE = "\x1b]0;pwned\x07"
RED = "\x1b[31;1myour API key expired, paste it here:\x1b[0m"
HOSTILE = f"evil{TITLE}{RED}"
KEY = "sk-test-very-secret-4242"


def no_escapes(text: str) -> None:
    assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text, repr(text)


def test_errors_are_made_terminal_safe_as_they_are_made() -> None:
    no_escapes(str(QuillpenError(f"the server said: {HOSTILE}")))


def test_hub_file_names_in_no_such_quant() -> None:
    with pytest.raises(QuillpenError) as caught:
        _pick_gguf([f"{HOSTILE}.Q4_K_M.gguf"], "Q8_0", "someone/repo")
    no_escapes(str(caught.value))
    assert "evil" in str(caught.value)


def test_names_from_inside_a_pickle(tmp_path: Path) -> None:
    module = f"os{TITLE}"
    pickled = b"\x80\x02c" + module.encode() + b"\nsystem\nq\x00."
    path = tmp_path / "evil.bin"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("evil/data.pkl", pickled)
        zf.writestr("evil/version", "3\n")
    with pytest.raises(QuillpenError) as caught:
        torch_pickle.load(path)
    no_escapes(str(caught.value))
    assert "os.system" in str(caught.value)  # (the name is shown, without its escapes)


def _hostile_server() -> HostileServer:
    echo = {"error": {"message": f"{HOSTILE} Authorization: Bearer {KEY} (key {KEY})"}}
    return HostileServer(
        {
            "/v1/models": json_answer({"data": [{"id": HOSTILE, "owned_by": HOSTILE}]}),
            "/v1/completions": lambda: (500, "application/json", [json.dumps(echo).encode()]),
        }
    )


def test_server_error_messages_in_the_cli(user_dirs: dict[str, Path]) -> None:
    server = _hostile_server()
    try:
        config = user_dirs["config"] / "quillpen" / "config.toml"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(f'[engines.lab]\nurl = "{server.url}"\napi_key_env = "QP_TEST_KEY"\n')
        run = subprocess.run(
            [sys.executable, "-m", "tui.cli", "generate", "-v", "--engine", "lab", "Once"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={**os.environ, "QP_TEST_KEY": KEY},
            timeout=60,
        )
    finally:
        server.close()
    assert run.returncode != 0
    no_escapes(run.stdout + run.stderr)
    assert KEY not in run.stdout + run.stderr
    assert "evil" in run.stderr and "Traceback" not in run.stderr
    assert "httpcore" in run.stderr  # (-v: the debug log, headers and all, went through too)


def test_log_files_are_private_and_the_state_folder_tightened(user_dirs: dict[str, Path]) -> None:
    state = user_dirs["state"] / "quillpen"
    state.mkdir(parents=True)
    state.chmod(0o755)
    run = subprocess.run(
        [sys.executable, "-c", SETUP_APP_LOG],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "QP_TEST_KEY": KEY},
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert (state / "quillpen.log").stat().st_mode & 0o777 == 0o600
    assert state.stat().st_mode & 0o777 == 0o700
    logged = (state / "quillpen.log").read_text()
    assert "Bearer [redacted]" in logged and KEY not in logged


SETUP_APP_LOG = f"""
import argparse, logging
from models.redaction import add_secret
from tui import cli
cli._setup(argparse.Namespace(offline=False, verbose=True), app=True)
add_secret({KEY!r})
logging.getLogger("httpcore.http11").debug("headers=[(b'Authorization', b'Bearer %s')]", {KEY!r})
"""


async def test_remote_model_ids_in_the_status_bar_and_models_list(tmp_path: Path) -> None:
    server = _hostile_server()
    try:
        app = QuillpenApp(tmp_path / "s.md", engine=server.url, settings=Settings())
        async with app.run_test(size=(120, 30)) as pilot:
            await wait_until(pilot, lambda: app.model_name is not None, 30)
            no_escapes(app.status.model_name)
            no_escapes(app.export_screenshot())
            await pilot.press("f5")
            await wait_until(pilot, lambda: isinstance(app.screen, RemoteModelsScreen))
            models = app.screen
            assert isinstance(models, RemoteModelsScreen)
            await wait_until(pilot, lambda: models.ids == [HOSTILE], 20)
            await pilot.pause()
            shot = app.export_screenshot()
            no_escapes(shot)
            assert "evil" in shot
    finally:
        server.close()


def _all_subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _all_subclasses(sub)
    return found


def test_every_error_type_goes_through_the_sanitizer() -> None:
    """Each QuillpenError subclass anywhere in models/ and tui/: its message comes out safe (a
    subclass that set its text past QuillpenError.__init__ would be found here)."""
    import importlib
    import pkgutil

    import models
    import tui

    for package in (models, tui):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not info.name.endswith("__main__"):  # (it runs the CLI)
                importlib.import_module(info.name)
    classes = _all_subclasses(QuillpenError) | {QuillpenError}
    assert len(classes) >= 5
    for cls in classes:
        error = cls(f"{HOSTILE} Bearer {KEY}")
        shown = str(error) + str(getattr(error, "message", ""))
        no_escapes(shown)
        assert KEY not in shown, cls
