"""The writer's texts as pieces: poems split, front matter stripped, whole pieces held out."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.errors import QuillpenError
from models.voice import corpus

POEMS = "a red fox\nruns to the hill\n\nthe blue crow\nflies to the wood\n\nan owl\nat night\n"
PROSE = (
    "It was a long day. The rain had not stopped since the morning, and the road was mud.\n\n"
    "She walked on anyway, because there was nowhere else to go and nobody to go to.\n"
)


def test_poems_split_on_blank_lines_prose_stays_whole() -> None:
    assert corpus.pieces_of(POEMS) == [
        "a red fox\nruns to the hill",
        "the blue crow\nflies to the wood",
        "an owl\nat night",
    ]
    assert corpus.pieces_of(PROSE) == [PROSE.strip()]


def test_front_matter_is_stripped() -> None:
    text = "---\ntitle: Fox\ndate: 2024-01-01\n---\nthe fox\nruns home\n"
    assert corpus.pieces_of(text) == ["the fox\nruns home"]


def test_whole_pieces_held_out_last(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(POEMS)
    (tmp_path / "b.md").write_text(PROSE)
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    loaded = corpus.load([tmp_path], 0.25)
    assert loaded.held_out == [PROSE.strip()]
    assert len(loaded.train) == 3
    assert loaded.files == 2 and len(loaded.sha256) == 64


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda d: (d / "empty.txt").write_text("\n\n  \n"), "the corpus is empty"),
        (lambda d: (d / "x.txt").write_bytes(b"\x89PNG\0\0\0binary"), "a binary file"),
        (lambda d: (d / "x.txt").write_bytes(b"caf\xe9 au lait"), "not UTF-8"),
        (lambda d: (d / "x.txt").write_text("one piece only"), "leaves nothing to train on"),
        (lambda d: None, "no .txt or .md files"),
    ],
)
def test_bad_corpus_one_clear_message(tmp_path: Path, setup, message: str) -> None:  # type: ignore[no-untyped-def]
    setup(tmp_path)
    with pytest.raises(QuillpenError, match=message):
        corpus.load([tmp_path], 0.5)
