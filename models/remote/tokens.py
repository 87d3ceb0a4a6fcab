"""Token counts for a remote engine: the server's own tokenizer, or a labelled estimate.

Prompt building (:func:`models.prompting.prompts.build`) needs a tokenizer with the model's window.
A
:class:`ServerTokenizer` asks the server (llama-server ``/tokenize``, llama_cpp.server
``/extras/tokenize``, vLLM ``/tokenize``) and turns the fitted tokens back into text with its
detokenize endpoint, so the prompt is exactly what the local engine would build. A server
without such an endpoint gets :class:`ApproxTokenizer`: a character-based estimate that errs on
the high side for prose (so a prompt it fits fits), with a tenth of the window kept spare.
quillpen ships no GPT-2 vocabulary of its own, so there is no exact local fallback.

These calls block: they run on worker threads, never on the UI's.
"""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from models.remote.errors import RemoteError
from models.remote.http import RemoteHttp
from models.remote.profiles import TokenizeApi

CACHE_SIZE = 512
APPROX_SPARE = 0.1
"""Share of the window an estimated prompt leaves unused, in case the estimate is low."""


@dataclass(frozen=True)
class NoTemplate:
    """A remote GPT-2 has no chat template: chats use the transcript format."""

    chat_template: str | None = None


class ServerTokenizer:
    """The server's tokenizer over HTTP (cached), with the model's window."""

    exact = True
    label = "the server's tokenizer"

    def __init__(self, http: RemoteHttp, api: TokenizeApi, model: str, window: int) -> None:
        self.http = http
        self.api = api
        self.model = model
        self.window = window
        self.info = NoTemplate()
        self._cache: OrderedDict[str, list[int]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def n_ctx_train(self) -> int:
        return self.window

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        http = self.http
        url = http.root + path
        response = http.post_sync(url, body)
        if response.status_code >= 400:
            raise http.status_error(response, response.content, url)
        try:
            return response.json()
        except (ValueError, RecursionError):
            raise RemoteError(f"{url} answered with something that is not JSON.") from None

    def tokenize(self, text: str) -> list[int]:
        if not text:
            return []
        with self._lock:
            hit = self._cache.get(text)
            if hit is not None:
                self._cache.move_to_end(text)
                return list(hit)
        data = self._post(self.api.path, self.api.request(text, self.model))
        tokens = data.get("tokens") if isinstance(data, dict) else None
        if not isinstance(tokens, list) or not all(
            isinstance(t, int) and not isinstance(t, bool) for t in tokens
        ):
            raise RemoteError(f"{self.http.root}{self.api.path} answered without a token list.")
        with self._lock:
            self._cache[text] = list(tokens)
            if len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return list(tokens)

    def detokenize(self, tokens: Sequence[int]) -> str:
        if not tokens:
            return ""
        data = self._post(self.api.detok_path, self.api.detok_request(tokens, self.model))
        text = data.get(self.api.detok_field) if isinstance(data, dict) else None
        if not isinstance(text, str):
            raise RemoteError(f"{self.http.root}{self.api.detok_path} answered without text.")
        return text


# Approximate --------------------------------------------------------------------------------
# GPT-2's pre-tokenizer, in the re module's terms (letters = [^\W\d_]).
_PIECES = re.compile(
    r"'(?:s|t|re|ve|m|ll|d)| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+|.", re.S
)
_WORD_CHARS = 4
_DIGITS = 3
FILLER = 0
"""A token that stands for no text: the extra tokens a multi-byte character may cost."""


class ApproxTokenizer:
    """A character-based estimate of GPT-2 token counts, reversible so prompts can be fitted.

    ASCII words count a token per 4 characters (a leading space is free), numbers one per 3
    digits, each punctuation or whitespace character one, and any other character one per
    UTF-8 byte (GPT-2's byte-level BPE never needs more). For prose GPT-2 needs fewer, so a
    fitted prompt is a little shorter than it could be rather than too long, and
    :data:`APPROX_SPARE` of the window is kept free as well.
    """

    exact = False
    label = "an estimate (about 4 characters a token)"

    def __init__(self, window: int) -> None:
        self.window = window
        self.info = NoTemplate()
        self._ids: dict[str, int] = {}
        self._pieces: list[str] = [""]  # id 0 is FILLER
        self._lock = threading.Lock()

    @property
    def n_ctx_train(self) -> int:
        return max(2, math.floor(self.window * (1 - APPROX_SPARE)))

    def _id(self, piece: str) -> int:
        found = self._ids.get(piece)
        if found is None:
            found = self._ids[piece] = len(self._pieces)
            self._pieces.append(piece)
        return found

    def tokenize(self, text: str) -> list[int]:
        out: list[int] = []
        with self._lock:
            for match in _PIECES.finditer(text):
                for piece, extra in _split(match.group()):
                    out.append(self._id(piece))
                    out.extend([FILLER] * extra)
        return out

    def detokenize(self, tokens: Sequence[int]) -> str:
        with self._lock:
            pieces = self._pieces
            return "".join(pieces[t] for t in tokens if 0 < t < len(pieces))


def _split(piece: str) -> list[tuple[str, int]]:
    """(text, filler tokens after it) for one pre-token."""
    out: list[tuple[str, int]] = []
    core = piece[1:] if piece.startswith(" ") and len(piece) > 1 else piece
    if core[:1].isalnum():  # a word or a number: ASCII runs in chunks, other characters alone
        limit = _DIGITS if core[:1].isdigit() else _WORD_CHARS
        run = ""
        for char in piece:
            if char.isascii():
                run += char
                if len(run) >= limit + (run[0] == " "):
                    out.append((run, 0))
                    run = ""
                continue
            if run:
                out.append((run, 0))
                run = ""
            out.append((char, len(char.encode("utf-8")) - 1))
        if run:
            out.append((run, 0))
        return out
    lead = ""  # punctuation and whitespace: a token a character (a leading space joins in)
    for char in piece:
        if not out and not lead and char == " " and len(piece) > 1 and piece[1] != " ":
            lead = " "
            continue
        text = lead + char
        lead = ""
        out.append((text, 0 if char.isascii() else len(char.encode("utf-8")) - 1))
    return out
