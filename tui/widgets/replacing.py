"""Replace matches in the editor: one edit (one undo step), the replaced spans the writer's.

The rows from the first hit to the last are rewritten in a single ``replace``, so "Replace all"
over a 1 MB draft is one edit and one undo step; the generated-text marks are then recomputed:
what was replaced is the writer's text, the rest of each generation stays marked. The branch
tree needs nothing: it finds its place by the text itself, and text the writer changed becomes
a writer's node at the next continuation (:meth:`tui.store.branches.BranchTree.node_for`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import accumulate
from typing import TYPE_CHECKING

from tui.find import Hit, remap_ranges, replace_in_lines

if TYPE_CHECKING:
    from tui.widgets.generated_text import GeneratedTextArea


def replace_hits(
    area: GeneratedTextArea,
    pattern: re.Pattern[str],
    hits: Sequence[Hit],
    template: str,
    *,
    expand: bool,
) -> int:
    """Replace ``hits`` (in document order) with ``template`` as one undo step; how many."""
    if not hits:
        return 0
    lines = area.document.lines
    first, last = hits[0][0], hits[-1][0]
    new_lines, done = replace_in_lines(lines, pattern, hits, template, expand)
    newline = len(area.document.newline)
    starts = [0, *accumulate(len(line) + newline for line in lines)]
    edits = [
        (starts[row] + start, starts[row] + end, new_end - new_start)
        for (row, start, end), (_, new_start, new_end) in zip(hits, done, strict=True)
    ]
    generated = remap_ranges(area.generated_ranges(), edits)
    area.history.checkpoint()
    area.replace(
        area.document.newline.join(new_lines[first : last + 1]),
        (first, 0),
        (last, len(lines[last])),
        maintain_selection_offset=False,
    )
    area.history.checkpoint()
    area.restore_marks(generated)
    row, _, end = done[-1]
    area.selection = area.selection.cursor((row, end))
    area.journal()
    return len(hits)
