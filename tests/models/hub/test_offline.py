"""--offline / HF_HUB_OFFLINE=1: a whole session makes zero network connections."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from models.hub import download as hub
from tests.support.helpers import continued, wait_until
from tui.app import QuillpenApp
from tui.config import Settings
from tui.screens.models import ModelsScreen

_INET = (socket.AF_INET, socket.AF_INET6)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Fail (and record) every attempt to open an internet connection."""
    attempts: list[Any] = []
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guard(kind: str, real: Any) -> Any:
        def connect(self: socket.socket, address: Any) -> Any:
            if self.family in _INET:
                attempts.append((kind, address))
                raise OSError("network access during an offline session")
            return real(self, address)

        return connect

    monkeypatch.setattr(socket.socket, "connect", guard("connect", real_connect))
    monkeypatch.setattr(socket.socket, "connect_ex", guard("connect_ex", real_connect_ex))
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda *a, **k: (
            attempts.append(("getaddrinfo", a)) or (_ for _ in ()).throw(OSError("dns"))
        ),
    )
    yield attempts


async def test_full_offline_session_makes_no_connection(
    tmp_path: Path, tiny_gguf: Path, no_network: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    path = tmp_path / "offline.md"
    path.write_text("The train left at dawn.")
    app = QuillpenApp(
        path, model=str(tiny_gguf), settings=Settings(offline=True, continue_tokens=20)
    )
    assert hub.is_offline()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.model_name is not None, 20)
        app.editor.move_cursor(app.editor.document.end)
        await continued(pilot, app, "tab")  # generate
        await pilot.press("f3")  # chat
        app.chat.input.text = "What happens next?"
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(app.chat.last_reply), 20)
        await wait_until(pilot, lambda: not app.engine.busy)
        await pilot.press("f4", "ctrl+g")  # templates
        await wait_until(pilot, lambda: not app.engine.busy and not app.editor.generating)
        await pilot.press("f5")  # models: a pull must fail clearly without connecting
        await wait_until(pilot, lambda: isinstance(app.screen, ModelsScreen))
        await pilot.press("ctrl+g")
        status = app.screen.query_one("#pull-status")
        await wait_until(pilot, lambda: "offline" in str(status.render()).lower(), 10)
        await pilot.press("escape")
        await pilot.press("ctrl+s")
    assert no_network == []
    text = path.read_text()
    assert text.startswith("The train left at dawn.") and len(text) > 30
