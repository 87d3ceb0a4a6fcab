"""Child for the kill -9 save trials: save a document over and over until killed.

    python save_child.py TARGET SIZE

Prints ``ready`` once imported, then waits for ``go N`` on stdin (N: the save number the file
holds now) and saves ``content(N + 1)``, ``content(N + 2)``, … with ``Document.save``, printing
``begin K`` before and ``done K`` after each save (unbuffered, straight to fd 1), so the parent
knows which saves were in flight when it sent SIGKILL.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def content(seq: int, size: int) -> str:
    """Save number ``seq``: a header naming it, then ``size`` of 'A' (odd) or 'B' (even)."""
    return f"quillpen kill-9 save trial, save #{seq}\n" + ("A" if seq % 2 else "B") * size


def main() -> None:
    from tui.document import Document

    target, size = Path(sys.argv[1]), int(sys.argv[2])
    os.write(1, b"ready\n")
    line = sys.stdin.readline().split()
    if not line or line[0] != "go":
        return
    seq = int(line[1])
    doc, _ = Document.open(target)
    while True:
        seq += 1
        text = content(seq, size)
        os.write(1, b"begin %d\n" % seq)
        doc.save(text)
        os.write(1, b"done %d\n" % seq)


if __name__ == "__main__":
    main()
