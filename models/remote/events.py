"""Reading a ``/v1/completions`` answer: its events, its choices' text and token figures.

:func:`read_event` checks one server-sent event (or a whole JSON answer) and gives each choice's
new text, finish reason and token figures, or raises :class:`RemoteError` with a plain message.
:func:`token_infos` turns a choice's ``logprobs`` (either format servers use) into
:class:`models.token_probs.TokenInfo` s, the same figures the local engine gives:

- ``prob`` is ``exp(logprob)``, the server's figure: llama.cpp's server, llama_cpp.server and
  vLLM (its default ``raw_logprobs``) report the model's distribution before sampling, as the
  local engine does (older vLLM versions applied the temperature first).
- ``top`` holds the server's alternatives (as many as it sends), most likely first.
- ``rank`` is exact (``rank_exact``) only where the token is shown to be within those
  alternatives: its id is among theirs (llama-server), or, where alternatives come as a
  ``{text: logprob}`` map (which merges tokens that decode to the same text), one of them is
  less likely than the token and none was lost to merging. Otherwise it is a bound: at least
  one more than the alternatives likelier than the token (``len(top) + 1`` for a token below
  them all).
- ``id`` is the server's token id where it sends one (llama-server), else -1.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from models.remote.errors import RemoteError, server_message
from models.token_probs import TokenInfo

KEPT = " The text received so far is kept."


@dataclass(frozen=True)
class Delta:
    """What one event says about one choice."""

    index: int
    text: str
    tokens: tuple[TokenInfo, ...] = ()
    finish_reason: str | None = None
    stop_reason: object = None


@dataclass(frozen=True)
class Event:
    done: bool = False
    """The ``[DONE]`` sentinel."""
    deltas: tuple[Delta, ...] = ()
    completion_tokens: int | None = None


def _malformed(detail: str, received: int) -> RemoteError:
    return RemoteError(f"The server sent a malformed stream ({detail}).{KEPT * bool(received)}")


def read_event(data: str, event_name: str, received: int, asked: int = 0) -> Event:
    """Parse one SSE event of a streamed ``/v1/completions`` answer (``received``: the tokens
    delivered so far, for the message if it is broken; ``asked``: the alternatives requested
    per token)."""
    stripped = data.strip()
    if stripped == "[DONE]":
        return Event(done=True)
    if not stripped:
        return Event()
    if event_name == "error":
        said = server_message(data) or "no details"
        raise RemoteError(
            f"The server reported an error mid-stream: {said}.{KEPT * bool(received)}"
        )
    try:
        payload: Any = json.loads(stripped)
    except (ValueError, RecursionError):
        shown = stripped if len(stripped) <= 40 else stripped[:40] + "…"
        raise _malformed(f"an event that is not JSON: {shown!r}", received) from None
    if not isinstance(payload, dict):
        raise _malformed("an event that is not a JSON object", received)
    if "error" in payload:
        said = server_message(stripped) or "no details"
        raise RemoteError(
            f"The server reported an error mid-stream: {said}.{KEPT * bool(received)}"
        )
    choices = payload.get("choices")
    if not isinstance(choices, list):
        raise _malformed("an event without choices", received)
    deltas: list[Delta] = []
    for raw in choices:
        if not isinstance(raw, dict):
            raise _malformed("a choice that is not a JSON object", received)
        index = raw.get("index", 0)
        text = raw.get("text", "")
        if text is None:
            text = ""
        if "delta" in raw and "text" not in raw:
            raise _malformed("a chat completion: quillpen needs the completions API", received)
        if not isinstance(index, int) or not isinstance(text, str):
            raise _malformed("a choice without text", received)
        reason = raw.get("finish_reason")
        deltas.append(
            Delta(
                index,
                text,
                token_infos(raw.get("logprobs"), asked),
                reason if isinstance(reason, str) else None,
                raw.get("stop_reason"),
            )
        )
    usage = payload.get("usage")
    completion = usage.get("completion_tokens") if isinstance(usage, dict) else None
    return Event(
        deltas=tuple(deltas),
        completion_tokens=completion if isinstance(completion, int) else None,
    )


# Token figures -------------------------------------------------------------------------------
def _logprob(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return -math.inf
    return float(value)


def _prob(logprob: float) -> float:
    return math.exp(logprob) if logprob > -math.inf else 0.0


def _token_id(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else -1


def _info(
    text: str, token_id: int, logprob: float, top: Sequence[tuple[str, float]], exact: bool
) -> TokenInfo:
    ranked = sorted(top, key=lambda kv: -kv[1])
    rank = 1 + sum(1 for _, lp in ranked if lp > logprob)
    alternatives = tuple((t, _prob(lp)) for t, lp in ranked)
    return TokenInfo(text, token_id, _prob(logprob), rank, alternatives, rank_exact=exact)


def token_infos(data: object, asked: int = 0) -> tuple[TokenInfo, ...]:
    """Token figures from a choice's ``logprobs``, in either format servers use (``asked``:
    the alternatives requested per token, to tell a map that merged some).

    The legacy completions format (vLLM, llama_cpp.server, OpenAI): ``{tokens, token_logprobs,
    top_logprobs: [{token: logprob}]}``; llama-server's: ``{content: [{id, token, logprob,
    top_logprobs: [{id, token, logprob}]}]}``. Anything else gives nothing. A token without a
    log-probability (the first of an echoed prompt) gets probability 0.
    """
    if not isinstance(data, Mapping):
        return ()
    found: list[TokenInfo] = []
    content = data.get("content")
    if isinstance(content, list):
        for item in content:
            if isinstance(item, Mapping):
                found.append(_content_info(item))
        return tuple(found)
    tokens = data.get("tokens")
    if not isinstance(tokens, list):
        return ()
    logprobs = data.get("token_logprobs") or []
    tops = data.get("top_logprobs") or []
    for i, token in enumerate(tokens):
        lp = _logprob(logprobs[i]) if i < len(logprobs) else -math.inf
        alternatives = tops[i] if i < len(tops) and isinstance(tops[i], Mapping) else {}
        top = [(str(k), _logprob(v)) for k, v in alternatives.items()]
        # The map holds the top ``asked`` and the token itself: fewer keys mean some merged.
        whole = len(top) >= asked
        within = any(lp_ < lp for key, lp_ in top if key != token)
        found.append(_info(str(token), -1, lp, top, whole and within))
    return tuple(found)


def _content_info(item: Mapping[str, Any]) -> TokenInfo:
    """One token of llama-server's format: exact when its id is among the alternatives'."""
    entries = [t for t in item.get("top_logprobs") or () if isinstance(t, Mapping)]
    top = [(str(t.get("token", "")), _logprob(t.get("logprob"))) for t in entries]
    token_id, lp = _token_id(item.get("id")), _logprob(item.get("logprob"))
    ids = {_token_id(t.get("id")) for t in entries}
    # Without ids: within where an alternative is less likely than the token.
    known = token_id >= 0 and -1 not in ids
    within = token_id in ids if known else any(lp_ < lp for _, lp_ in top)
    return _info(str(item.get("token", "")), token_id, lp, top, within)
