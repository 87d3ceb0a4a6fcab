"""Token insight in the editor: each token's rank among the model's guesses, as colour.

GLTR's buckets (Gehrmann et al., 2019): a token the model ranked in its top 10 is green, top
100 yellow, top 1,000 red, anything rarer violet. A server's rank past the alternatives it sent
is only a bound: such a token is grey unless the bound alone settles its bucket (past 1,000:
violet), never a colour it cannot know. Generated text gets its figures as it streams
(``GenerateRequest.probabilities``); the writer's own text from one scoring pass (the
"surprise" view). Spans are kept in (row, column) locations; any edit of the text forgets them,
and the view scores the text again.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from rich.style import Style
from rich.text import Text
from textual.widgets.text_area import Location

if TYPE_CHECKING:
    from models.token_probs import TokenInfo

BUCKETS: tuple[tuple[int, Style], ...] = (
    (10, Style(bgcolor="#1f5f2f")),
    (100, Style(bgcolor="#6f6200")),
    (1000, Style(bgcolor="#7f2020")),
)
RARE = Style(bgcolor="#5f2f7f")
UNRANKED = Style(bgcolor="#4a4a4a")
"""Less likely than every alternative a server sent: a bucket it cannot name."""
LEGEND = (
    "Surprise view: green = among the model's 10 likeliest next tokens, yellow = top 100, "
    "red = top 1,000, violet = rarer; grey = rarer than all the alternatives a server sent "
    "(its rank unknown). Ctrl+R on a word: the model's other choices."
)


def bucket(rank: int, exact: bool = True) -> Style:
    """The colour for ``rank``; for a rank that is only a bound (at least ``rank``), the
    bucket every rank from there falls in, else :data:`UNRANKED`."""
    for limit, style in BUCKETS:
        if rank <= limit:
            return style if exact else UNRANKED
    return RARE


class Span(NamedTuple):  # (made at import 6x faster than a frozen dataclass)
    """A token's place, [start, end) in (row, column) locations, and its figures."""

    start: Location
    end: Location
    info: TokenInfo


def spans_from(start: Location, tokens: Iterable[TokenInfo]) -> list[Span]:
    """Where each token lies when their texts are written one after another from ``start``."""
    row, column = start
    spans = []
    for info in tokens:
        begin = (row, column)
        lines = info.text.split("\n")
        if len(lines) > 1:
            row, column = row + len(lines) - 1, len(lines[-1])
        else:
            column += len(info.text)
        spans.append(Span(begin, (row, column), info))
    return spans


class SurpriseView:
    """The spans shown, kept sorted by start; ``enabled`` is the view's switch (F9)."""

    def __init__(self) -> None:
        self.enabled = False
        self.spans: list[Span] = []

    def add(self, spans: Iterable[Span]) -> None:
        self.spans = sorted([*self.spans, *spans], key=lambda s: s.start)

    def clear(self) -> None:
        self.spans = []

    def style(self, line: Text, index: int) -> None:
        """Colour the tokens on line ``index`` (its text is ``line``)."""
        if not self.enabled:
            return
        for span in self.spans:
            if span.start[0] > index:
                break
            if span.end[0] < index:
                continue
            start = span.start[1] if span.start[0] == index else 0
            end = span.end[1] if span.end[0] == index else len(line)
            if end > start:
                line.stylize(bucket(span.info.rank, span.info.rank_exact), start, end)

    def at(self, location: Location) -> Span | None:
        """The token at ``location`` (or ending just before it: the word the cursor is after)."""
        starts = [span.start for span in self.spans]
        i = bisect_right(starts, location) - 1
        near = [s for s in self.spans[max(0, i - 1) : i + 1] if s.info.text.strip()]
        for fits in (
            lambda s: s.start < location < s.end,  # inside a token
            lambda s: s.end == location,  # just after one (the word just written)
            lambda s: s.start == location,  # just before one
        ):
            found = [s for s in near if fits(s)]
            if found:
                return found[0]
        return None
