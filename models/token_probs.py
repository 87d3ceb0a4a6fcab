"""Token insight: each token's probability, rank and most likely alternatives.

All figures come from the *pre-sampling* distribution: the softmax of the model's raw logits
over the whole vocabulary (temperature 1, before repeat penalties, bans, top-k or top-p), as
llama.cpp's server reports with ``n_probs`` and NovelAI's "before sampling" view. ``rank`` is
1 for the most likely token (GLTR's buckets are ranks 1–10, 11–100, 101–1000 and the rest).
The local engine's ranks are exact; a server's are exact only within the alternatives it sent,
and a token less likely than all of them has a rank that is a bound (``rank_exact`` False:
the rank is at least ``rank``).

They are computed in the engine from the logits that llama.cpp leaves after each decode, one
row for a generated token (:func:`insight`) or a matrix of rows for text being scored
(:func:`score_rows`); no ``logits_all`` context is needed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

MAX_TOP = 100


@dataclass(frozen=True)
class TokenInfo:
    """One token: its text, id, probability, rank (1 = most likely) and the ``top``
    alternatives as (text, probability), most likely first. ``rank_exact`` False: ``rank`` is
    only the least the rank can be (a server's token less likely than every alternative it
    sent)."""

    text: str
    id: int
    prob: float
    rank: int
    top: tuple[tuple[str, float], ...] = ()
    rank_exact: bool = True

    @property
    def rank_label(self) -> str:
        """ "5", or ">10" for a rank known only to be at least 11."""
        return str(self.rank) if self.rank_exact else f">{self.rank - 1}"

    def to_wire(self) -> list[Any]:
        wire = [self.text, self.id, self.prob, self.rank, [list(t) for t in self.top]]
        return wire if self.rank_exact else [*wire, False]

    @classmethod
    def from_wire(cls, data: Sequence[Any]) -> TokenInfo:
        text, token, prob, rank, top, *rest = data
        return cls(
            str(text),
            int(token),
            float(prob),
            int(rank),
            tuple((str(t), float(p)) for t, p in top),
            rank_exact=bool(rest[0]) if rest else True,
        )

    def as_json(self, index: int | None = None, *, top: bool = True) -> dict[str, Any]:
        """The CLI's JSON form: ``{"i"?, "token", "id", "prob", "rank", "top"?}``, with
        ``"rank_at_least"`` in place of ``"rank"`` where the rank is only a bound."""
        out: dict[str, Any] = {} if index is None else {"i": index}
        out |= {"token": self.text, "id": self.id, "prob": self.prob}
        out["rank" if self.rank_exact else "rank_at_least"] = self.rank
        if top:
            out["top"] = [[t, p] for t, p in self.top]
        return out


@dataclass(frozen=True)
class Insight:
    """The figures for one generated token, before its text is known."""

    id: int
    prob: float
    rank: int
    top: tuple[tuple[int, float], ...]

    def info(self, text: str, piece: Callable[[int], str]) -> TokenInfo:
        return TokenInfo(
            text, self.id, self.prob, self.rank, tuple((piece(t), p) for t, p in self.top)
        )


def clamp_top(k: int) -> int:
    return max(0, min(MAX_TOP, int(k)))


def insight(logits: np.ndarray, token: int, k: int, scratch: np.ndarray | None = None) -> Insight:
    """Probability and rank of ``token`` and the ``k`` most likely tokens, from one row of raw
    logits (float32, the whole vocabulary). ``scratch``: a buffer of the row's size to reuse."""
    import numpy as np

    top_logit = float(logits.max())
    buf = np.subtract(logits, top_logit, out=scratch)
    np.exp(buf, out=buf)
    total = float(buf.sum(dtype=np.float64))
    chosen = float(logits[token])
    prob = float(np.exp(chosen - top_logit)) / total
    rank = int(np.count_nonzero(logits > chosen)) + 1
    top: tuple[tuple[int, float], ...] = ()
    if k > 0:
        ids = np.argpartition(logits, -k)[-k:]
        ids = ids[np.argsort(-logits[ids], kind="stable")]
        top = tuple((int(i), float(buf[i]) / total) for i in ids)
    return Insight(int(token), prob, rank, top)


def score_rows(
    logits: np.ndarray, targets: Sequence[int], k: int
) -> list[tuple[float, int, list[tuple[int, float]]]]:
    """For each row of ``logits`` (rows × vocabulary) and its target token: (probability, rank,
    top ``k`` as (id, probability)). Vectorised: a thousand rows take a fraction of a second."""
    import numpy as np

    rows = logits.astype(np.float32, copy=False)
    target = np.asarray(targets, dtype=np.int64)
    chosen = rows[np.arange(len(target)), target]
    top_logit = rows.max(axis=1)
    exp = np.subtract(rows, top_logit[:, None])
    np.exp(exp, out=exp)
    total = exp.sum(axis=1, dtype=np.float64)
    probs = np.exp((chosen - top_logit).astype(np.float64)) / total
    ranks = np.count_nonzero(rows > chosen[:, None], axis=1) + 1
    tops: list[list[tuple[int, float]]] = [[] for _ in range(len(target))]
    if k > 0:
        for row, (ids, share) in enumerate(zip(_top_k_rows(rows, k), exp, strict=True)):
            tops[row] = [(int(i), float(share[i] / total[row])) for i in ids]
    return [(float(p), int(r), t) for p, r, t in zip(probs, ranks, tops, strict=True)]


def _top_k_rows(rows: np.ndarray, k: int, block: int = 64) -> list[np.ndarray]:
    """Each row's ``k`` largest entries' indices, largest first (ties: lower index first).

    Three times faster than ``argpartition`` on whole rows: the k-th largest of the rows'
    block maxima is at most the row's k-th largest value, so only entries at or above it
    (a few dozen) are sorted."""
    import numpy as np

    n, width = rows.shape
    whole = width // block * block
    if whole // block < k:
        order = np.argsort(-rows, axis=1, kind="stable")[:, :k]
        return list(order)
    maxima = rows[:, :whole].reshape(n, -1, block).max(axis=2)
    if whole < width:
        maxima = np.concatenate([maxima, rows[:, whole:].max(axis=1, keepdims=True)], axis=1)
    floor = -np.partition(-maxima, k - 1, axis=1)[:, k - 1]
    found = []
    for row, low in zip(rows, floor, strict=True):
        ids = np.flatnonzero(row >= low)
        found.append(ids[np.argsort(-row[ids], kind="stable")[:k]])
    return found
