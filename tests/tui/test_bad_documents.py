"""Bad documents, failed saves, odd file names and private files (see bad_input.py)."""

from __future__ import annotations

import errno
import os
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.content import Content

from models import locations
from models.errors import QuillpenError
from tests.support.bad_input import (
    ORIGINAL,
    assert_words,
    can_make_read_only,
    make_unreadable,
    snapshot,
)
from tui import document as docs
from tui.app import QuillpenApp
from tui.config import Settings
from tui.document import Document, NotUtf8
from tui.store import journal

# -- documents ----------------------------------------------------------------------------------


def _file(content: bytes) -> Callable[[Path, pytest.MonkeyPatch], Path]:
    def make(tmp: Path, mp: pytest.MonkeyPatch) -> Path:
        path = tmp / "doc.txt"
        path.write_bytes(content)
        return path

    return make


def _huge(tmp: Path, mp: pytest.MonkeyPatch | None = None) -> Path:
    path = tmp / "huge.txt"
    with path.open("wb") as fh:
        fh.truncate(51 * 1024 * 1024)  # sparse: instant, and no disk used
    return path


def _folder(tmp: Path, mp: pytest.MonkeyPatch) -> Path:
    path = tmp / "chapter.md"
    path.mkdir()
    return path


def _fifo(tmp: Path, mp: pytest.MonkeyPatch | None = None) -> Path:
    """A named pipe: reading it waits for a writer forever."""
    path = tmp / "pipe.md"
    os.mkfifo(path)

    def unblock() -> None:  # should a reader ever open it, end its wait after 3 s (a failure)
        time.sleep(3)
        for _ in range(50):
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
                return
            except OSError:  # ENXIO: no reader (as it should be); ENOENT: test over
                time.sleep(0.1)

    threading.Thread(target=unblock, daemon=True).start()
    return path


def _device(tmp: Path, mp: pytest.MonkeyPatch) -> Path:
    # /dev/zero or /dev/urandom never end: the same check refuses them, but should it regress
    # they would fill the memory, so the test uses a device that ends at once.
    return Path("/dev/null")


def _unreadable_doc(tmp: Path, mp: pytest.MonkeyPatch) -> Path:
    path = tmp / "secret.md"
    path.write_text("private\n")
    make_unreadable(path, mp)
    return path


DOCUMENT_CASES = [
    ("not-utf8", _file(b"caf\xe9 cr\xe8me\n"), NotUtf8, ("doc.txt", "not UTF-8", "Latin-1")),
    ("binary", _file(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256))), QuillpenError, ("binary",)),
    ("huge-sparse", _huge, QuillpenError, ("huge.txt", "51 MB", "up to 50 MB")),
    ("directory", _folder, QuillpenError, ("chapter.md", "is a directory")),
    ("fifo", _fifo, QuillpenError, ("pipe.md", "not a regular file")),
    ("device", _device, QuillpenError, ("/dev/null", "not a regular file")),
    ("unreadable", _unreadable_doc, QuillpenError, ("secret.md", "permission denied")),
]


@pytest.mark.timeout(20)
@pytest.mark.parametrize(
    ("make", "kind", "words"), [c[1:] for c in DOCUMENT_CASES], ids=[c[0] for c in DOCUMENT_CASES]
)
def test_bad_document(
    make: Callable[[Path, pytest.MonkeyPatch], Path],
    kind: type[QuillpenError],
    words: tuple[str, ...],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = make(tmp_path, monkeypatch)
    if not path.exists():
        pytest.skip(f"{path} does not exist on this system")
    before = snapshot(path)
    start = time.monotonic()
    with pytest.raises(QuillpenError) as caught:
        Document.open(path)
    assert time.monotonic() - start < 2, "refused quickly, without reading it all"
    assert type(caught.value) is kind
    assert_words(str(caught.value), *words)
    assert snapshot(path) == before


async def test_app_refuses_bad_documents_and_keeps_running(tmp_path: Path) -> None:
    bad = {
        "binary": tmp_path / "a.bin",
        "huge": _huge(tmp_path),
        "fifo": _fifo(tmp_path),
    }
    bad["binary"].write_bytes(b"\x00\x01\x02" * 100)
    app = QuillpenApp(bad["fifo"], model=None, settings=Settings())
    async with app.run_test() as pilot:
        for path in (bad["binary"], bad["huge"]):
            app.session.open_path(path)
            await pilot.pause()
        refused = [n.message for n in app._notifications if n.title == "Cannot open"]
        assert len(refused) == 3, refused
        assert "not a regular file" in refused[0] and "binary" in refused[1]
        assert "MB" in refused[2]
        await pilot.press(*"fresh")
        assert app.editor.text == "fresh" and app.session.document.path is None


# -- saving -------------------------------------------------------------------------------------

EDITED = "A new draft that must not be lost.\n"


def _read_only_folder(folder: Path, target: Path, mp: pytest.MonkeyPatch) -> None:
    if can_make_read_only(folder):
        return
    real = docs.tempfile.mkstemp

    def mkstemp(*args: Any, **kwargs: Any) -> tuple[int, str]:
        if Path(kwargs.get("dir") or ".") == folder:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(folder))
        return real(*args, **kwargs)

    mp.setattr(docs.tempfile, "mkstemp", mkstemp)


def _read_only_filesystem(folder: Path, target: Path, mp: pytest.MonkeyPatch) -> None:
    real = os.replace

    def replace(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        if Path(dst) == target:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(dst))
        real(src, dst, *args, **kwargs)

    mp.setattr(docs.os, "replace", replace)


def _disk_full_on_write(folder: Path, target: Path, mp: pytest.MonkeyPatch) -> None:
    real = os.fdopen

    class FullDisk:
        """The temp file: half of the first write lands, then ENOSPC."""

        def __init__(self, fh: Any) -> None:
            self._fh = fh

        def write(self, data: bytes) -> int:
            self._fh.write(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def __enter__(self) -> FullDisk:
            return self

        def __exit__(self, *exc: object) -> None:
            self._fh.close()

        def __getattr__(self, name: str) -> Any:
            return getattr(self._fh, name)

    mp.setattr(docs.os, "fdopen", lambda *a, **k: FullDisk(real(*a, **k)))


def _disk_full_on_fsync(folder: Path, target: Path, mp: pytest.MonkeyPatch) -> None:
    def fsync(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    mp.setattr(docs.os, "fsync", fsync)


def _no_fault(folder: Path, target: Path, mp: pytest.MonkeyPatch) -> None:
    pass


SAVE_CASES: list[tuple[str, Any, str | None, tuple[str, ...]]] = [
    ("read-only-folder", _read_only_folder, None, ("cannot save", "story.md", "permission denied")),
    (
        "read-only-filesystem",
        _read_only_filesystem,
        None,
        ("cannot save", "read-only file system", "your text is still here"),
    ),
    ("disk-full-write", _disk_full_on_write, None, ("disk is full", "your text is still here")),
    ("disk-full-fsync", _disk_full_on_fsync, None, ("disk is full", "your text is still here")),
    ("folder-missing", _no_fault, "missing/new.md", ("cannot save", "no such file or directory")),
    ("target-is-a-folder", _no_fault, "a-folder", ("cannot save", "a-folder", "is a directory")),
]


@pytest.mark.parametrize(
    ("fault", "other", "words"), [c[1:] for c in SAVE_CASES], ids=[c[0] for c in SAVE_CASES]
)
def test_save_fails_cleanly(
    fault: Callable[[Path, Path, pytest.MonkeyPatch], None],
    other: str | None,
    words: tuple[str, ...],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a-folder").mkdir()
    path = folder / "story.md"
    path.write_text(ORIGINAL)
    doc, text = Document.open(path)
    assert text == ORIGINAL
    fault(folder, path, monkeypatch)
    try:
        with pytest.raises(QuillpenError) as caught:
            doc.save(EDITED, folder / other if other else None)
    finally:
        folder.chmod(0o755)
    assert_words(str(caught.value), *words)
    assert path.read_text() == ORIGINAL  # the file on disk is untouched
    assert sorted(p.name for p in folder.iterdir()) == ["a-folder", "story.md"]  # no temp file
    assert doc.path == path and not doc.changed_on_disk()


def test_untitled_document_without_a_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(QuillpenError, match="this document has no file name yet"):
        Document().save("words")
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == []


async def test_app_save_failure_keeps_the_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only file system (EROFS) at the rename: the text stays, and saving works later."""
    path = tmp_path / "story.md"
    path.write_text(ORIGINAL)
    app = QuillpenApp(path, model=None, settings=Settings())
    async with app.run_test() as pilot:
        await pilot.press("end", *"!!")
        edited = app.editor.text
        assert edited != ORIGINAL
        with monkeypatch.context() as mp:
            _read_only_filesystem(tmp_path, path, mp)
            await pilot.press("ctrl+s")
            await pilot.pause()
        failed = [n.message for n in app._notifications if n.title == "Not saved"]
        assert len(failed) == 1 and "your text is still here" in failed[0]
        assert app.editor.text == edited and app.session.dirty and app.sub_title.endswith("●")
        assert path.read_text() == ORIGINAL
        # the recovery copy has it too
        assert journal.read_journal(app.session.document.path) == edited
        assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["story.md"]
        await pilot.press("ctrl+s")  # and once the disk is back, saving works
        await pilot.pause()
        assert path.read_text() == edited and not app.session.dirty


def test_save_removes_temp_files_left_by_an_interrupted_save(tmp_path: Path) -> None:
    target = tmp_path / "story.md"
    stale = tmp_path / ".story.md.abc123.tmp"
    fresh = tmp_path / ".story.md.def456.tmp"
    stale.write_text("half a save")
    fresh.write_text("another save in progress")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    Document(path=target).save("text")
    assert target.read_text() == "text"
    assert not stale.exists() and fresh.exists()


# -- names with brackets are shown as text, not markup ------------------------------------------


@pytest.mark.parametrize("folder", ["ideas [draft]", "a["], ids=["mangled", "crash"])
async def test_app_notification_shows_a_path_with_brackets(tmp_path: Path, folder: str) -> None:
    path = tmp_path / folder / "b].md"
    path.mkdir(parents=True)  # "<path> is a directory", with the whole path in the message
    app = QuillpenApp(path, model=None, settings=Settings())
    async with app.run_test() as pilot:
        await pilot.pause()
        [refused] = [n for n in app._notifications if n.title == "Cannot open"]
        # What a toast shows (textual.widgets._toast.Toast.render), without ending this app.
        shown = Content.from_markup(refused.message) if refused.markup else Content(refused.message)
        assert str(path) in shown.plain


async def test_app_question_shows_a_file_name_with_brackets(tmp_path: Path) -> None:
    path = tmp_path / "notes [draft].md"
    path.write_text("text")
    app = QuillpenApp(path, model=None, settings=Settings())
    async with app.run_test() as pilot:
        await pilot.press("end", *"!", "ctrl+q")
        await pilot.pause()
        question = app.screen.query_one(".dialog-question")
        assert "notes [draft].md" in str(question.render())


# -- private folders and files ------------------------------------------------------------------


def test_quillpen_folders_are_private(user_dirs: dict[str, Path]) -> None:
    for folder in (
        locations.cache_dir(),
        locations.models_dir(),
        locations.hub_dir(),
        locations.config_dir(),
        locations.data_dir(),
        locations.state_dir(),
    ):
        assert stat.S_IMODE(folder.stat().st_mode) & 0o077 == 0, folder
    recovery = journal.journal_path(Path("/tmp/x.md"))
    journal.write_journal(Path("/tmp/x.md"), "secret draft")
    assert stat.S_IMODE(recovery.stat().st_mode) == 0o600
