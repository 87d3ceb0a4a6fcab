"""Banned phrases and stop strings: matching generated text as it grows.

A ban holds for a phrase of any length, matched on the text (case-sensitive: "Bill" and "bill"
are different words to a writer; ban both to lose both). How generation keeps it (KoboldCpp's
"banned strings", also known as antislop), in :mod:`models.local.batch`:

- **Logit bias first.** Every vocabulary token whose own text contains a banned phrase (a
  one-token phrase above all) can never be part of acceptable text, so it gets -inf before
  sampling, at every position.
- **Roll back, then resample.** When the text generated so far completes a banned phrase, the
  sequence goes back to the token where the phrase began (the KV cache is trimmed there) and
  samples again with that token banned *at that position only*. A multi-token phrase's first
  token stays allowed elsewhere (" the" must remain possible when "the end" is banned).
- **Hold back.** Text that might still become a banned phrase (or a stop string) is not
  streamed until it cannot, so nothing is ever retracted and nothing is filtered afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


class Phrases:
    """A set of phrases to find in growing text."""

    def __init__(self, phrases: Iterable[str]) -> None:
        self.phrases: tuple[str, ...] = tuple(dict.fromkeys(p for p in phrases if p))
        self.longest = max((len(p) for p in self.phrases), default=0)
        by_first: dict[str, list[str]] = {}
        for phrase in self.phrases:
            by_first.setdefault(phrase[0], []).append(phrase)
        self._by_first = {k: tuple(v) for k, v in by_first.items()}

    def __bool__(self) -> bool:
        return bool(self.phrases)

    def find(self, text: str, after: int = 0) -> int:
        """Where the earliest complete phrase that ends past ``text[:after]`` starts, or -1."""
        found = (text.find(p, max(0, after - len(p) + 1)) for p in self.phrases)
        return min((i for i in found if i >= 0), default=-1)

    def partial_start(self, text: str) -> int:
        """The earliest index from which ``text``'s end is the unfinished start of a phrase
        (so the text from there may still become one); ``len(text)`` if there is none."""
        end = len(text)
        for i in range(max(0, end - self.longest + 1), end):
            candidates = self._by_first.get(text[i])
            if candidates and any(len(p) > end - i and p.startswith(text[i:]) for p in candidates):
                return i
        return end

    def tokens_containing(self, pieces: Sequence[bytes], *, spaced: bool = False) -> list[int]:
        """Ids of the vocabulary ``pieces`` (token id → bytes) that contain a whole phrase.

        UTF-8 is self-synchronising, so a piece holding a phrase's bytes decodes to text that
        holds the phrase wherever it appears. ``spaced``: the pieces' spaces may vanish in
        decoding (a WordPiece model's), so phrases with a space are left to the text check.
        """
        needles = [p.encode("utf-8") for p in self.phrases if not (spaced and " " in p)]
        if not needles:
            return []
        return [i for i, piece in enumerate(pieces) if any(n in piece for n in needles)]
