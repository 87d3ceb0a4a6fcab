"""What each kind of OpenAI-compatible completions server accepts (its answers are read by
:mod:`models.remote.events`).

A :class:`ServerProfile` names the request fields a server understands (vLLM says
``repetition_penalty`` where llama.cpp says ``repeat_penalty``; OpenAI has neither, nor
``top_k`` or ``min_p``), where its tokenizer endpoint is, whether one request can carry ``n``
choices (else each continuation is a request of its own) and whether those share one cache,
how many alternatives a token's figures may carry (quillpen asks for that many, so that ranks
are exact as far as they can be), and how many requests it serves at once.
:func:`detect_profile` recognises a server from its ``/v1/models`` answer; a configured profile
wins. Features a profile lacks are reported with a reason (:attr:`ServerProfile.missing`) and
never sent, so nothing is faked.

Only data and pure functions live here: no I/O (see :mod:`models.remote.engine`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from models.errors import QuillpenError
from models.sampling import SamplerSettings

PROFILE_NAMES = ("vllm", "llama.cpp", "llama-cpp-python", "openai")
DEFAULT_CONTEXT = 1024
"""The window when the server does not report one (GPT-2's)."""
LLAMA_SERVER_PROBS = 1000
"""Alternatives asked of llama-server per token (it has no limit): every rank up to 1,000 is
exact, so each token's surprise colour is known (the rarest bucket is "beyond 1,000")."""
LLAMA_CPP_PYTHON_PROBS = 100
"""Alternatives asked of llama_cpp.server per token (it has no limit, but sends a
``{text: logprob}`` map that merges tokens with the same text, and builds it in Python)."""


@dataclass(frozen=True)
class TokenizeApi:
    """A tokenizer endpoint pair, relative to the server's root (the URL without ``/v1``)."""

    path: str
    request: Callable[[str, str], dict[str, Any]]
    """(text, model) → JSON body."""
    detok_path: str
    detok_request: Callable[[Sequence[int], str], dict[str, Any]]
    """(tokens, model) → JSON body."""
    detok_field: str
    """Where the text is in the detokenize answer."""


@dataclass(frozen=True)
class ServerProfile:
    name: str
    label: str
    repeat_penalty_field: str | None
    top_k: bool
    min_p: bool
    seed: bool = True
    batched_n: bool = False
    """One request may ask for ``n`` choices (else quillpen sends one request per choice)."""
    logprobs: bool = True
    max_logprobs: int = 20
    """The most alternatives a token may carry: what quillpen asks for whenever it wants token
    figures (ranks beyond them are bounds; the alternatives shown are cut to those wanted)."""
    shared_cache: bool = False
    """Choices asked for in one request share one cache the size of the window, prompt once
    (llama-server's default unified KV cache, like the local engine's batch): the prompt is
    fitted to leave room for all of them, and requests go one at a time."""
    tokenize: TokenizeApi | None = None
    max_stops: int | None = None
    """The most stop strings a request may carry (the rest are enforced by quillpen)."""
    concurrency: int = 4
    """Requests sent at once; llama_cpp.server interrupts a stream when another arrives."""
    usage_option: bool = False
    """Ask for token usage in the stream (``stream_options.include_usage``)."""
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Fields added to every completion request."""
    missing: Mapping[str, str] = field(default_factory=dict)
    """Feature → why this server cannot do it (Capabilities.reasons)."""


def _llama_cpp_tokenize() -> TokenizeApi:
    return TokenizeApi(
        path="/tokenize",
        request=lambda text, model: {"content": text, "add_special": False},
        detok_path="/detokenize",
        detok_request=lambda tokens, model: {"tokens": list(tokens)},
        detok_field="content",
    )


def _llama_cpp_python_tokenize() -> TokenizeApi:
    return TokenizeApi(
        path="/extras/tokenize",
        request=lambda text, model: {"input": text, "model": model},
        detok_path="/extras/detokenize",
        detok_request=lambda tokens, model: {"tokens": list(tokens), "model": model},
        detok_field="text",
    )


def _vllm_tokenize() -> TokenizeApi:
    return TokenizeApi(
        path="/tokenize",
        request=lambda text, model: {"model": model, "prompt": text, "add_special_tokens": False},
        detok_path="/detokenize",
        detok_request=lambda tokens, model: {"model": model, "tokens": list(tokens)},
        detok_field="prompt",
    )


PROFILES: dict[str, ServerProfile] = {
    "vllm": ServerProfile(
        name="vllm",
        label="vLLM",
        repeat_penalty_field="repetition_penalty",
        top_k=True,
        min_p=True,
        batched_n=True,
        max_logprobs=20,  # vLLM's --max-logprobs default
        tokenize=_vllm_tokenize(),
        concurrency=8,
        usage_option=True,
    ),
    "llama.cpp": ServerProfile(
        name="llama.cpp",
        label="llama.cpp server",
        repeat_penalty_field="repeat_penalty",
        top_k=True,
        min_p=True,
        tokenize=_llama_cpp_tokenize(),
        batched_n=True,  # up to /props total_slots choices (n_cmpl); the prompt is shared
        shared_cache=True,
        max_logprobs=LLAMA_SERVER_PROBS,
        concurrency=1,
        extra={"cache_prompt": True},
    ),
    "llama-cpp-python": ServerProfile(
        name="llama-cpp-python",
        label="llama_cpp.server",
        repeat_penalty_field="repeat_penalty",
        top_k=True,
        min_p=True,
        tokenize=_llama_cpp_python_tokenize(),
        max_logprobs=LLAMA_CPP_PYTHON_PROBS,
        concurrency=1,
        missing={
            "batched_alternatives": (
                "llama_cpp.server ignores n: alternatives go one request after another"
            )
        },
    ),
    "openai": ServerProfile(
        name="openai",
        label="OpenAI-compatible",
        repeat_penalty_field=None,
        top_k=False,
        min_p=False,
        batched_n=True,
        max_logprobs=5,
        max_stops=4,
        usage_option=True,
        missing={
            "top_k": "OpenAI's completions API has no top_k",
            "min_p": "OpenAI's completions API has no min_p",
            "repeat_penalty": "OpenAI's completions API has no repeat penalty",
        },
    ),
}


def get_profile(name: str) -> ServerProfile:
    key = name.strip().lower().replace("_", "-")
    key = {"llamacpp": "llama.cpp", "llama-cpp": "llama.cpp", "llama-server": "llama.cpp"}.get(
        key, key
    )
    try:
        return PROFILES[key]
    except KeyError:
        raise QuillpenError(
            f"unknown server profile {name!r}: use one of {', '.join(PROFILE_NAMES)}"
        ) from None


def detect_profile(models: Mapping[str, Any], server_header: str) -> ServerProfile | None:
    """The profile a ``/v1/models`` answer (and the ``Server`` header) points to, if any."""
    entries = [e for e in models.get("data") or () if isinstance(e, Mapping)]
    owners = {str(e.get("owned_by", "")).lower() for e in entries}
    server = server_header.lower()
    if "vllm" in owners or any("max_model_len" in e for e in entries):
        return PROFILES["vllm"]
    if "llamacpp" in owners or "llama.cpp" in server or any("meta" in e for e in entries):
        return PROFILES["llama.cpp"]
    if "me" in owners and server.startswith("uvicorn"):  # llama_cpp.server's answer
        return PROFILES["llama-cpp-python"]
    if owners & {"openai", "system", "openai-internal"}:
        return PROFILES["openai"]
    return None


# Context length -----------------------------------------------------------------------------
def _positive_int(value: object) -> int | None:
    """A count a server gave (a window, slots): None unless a whole number in 1…2**31."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if 0 < value <= 2**31 else None  # (also refuses inf and NaN)


def context_from_model(entry: Mapping[str, Any]) -> int | None:
    """vLLM's ``max_model_len``; llama.cpp's ``meta.n_ctx_train``."""
    found = _positive_int(entry.get("max_model_len"))
    if found is None and isinstance(entry.get("meta"), Mapping):
        found = _positive_int(entry["meta"].get("n_ctx_train"))
    return found


def context_from_props(props: Mapping[str, Any]) -> int | None:
    """llama-server's ``/props``: the slot's ``n_ctx`` (newer builds also put it at the top)."""
    settings = props.get("default_generation_settings")
    if isinstance(settings, Mapping):
        found = _positive_int(settings.get("n_ctx"))
        if found:
            return found
    return _positive_int(props.get("n_ctx"))


def slots_from_props(props: Mapping[str, Any]) -> int | None:
    return _positive_int(props.get("total_slots"))


# Requests -----------------------------------------------------------------------------------
def completion_body(
    profile: ServerProfile,
    *,
    model: str,
    prompt: str,
    settings: SamplerSettings,
    max_tokens: int,
    stop: Sequence[str],
    n: int = 1,
    logprobs: int = 0,
) -> dict[str, Any]:
    """The JSON body of a streamed ``/v1/completions`` request for ``profile``."""
    body: dict[str, Any] = {
        "model": model,
        "prompt": prompt,
        "max_tokens": max_tokens,
        "stream": True,
        "temperature": settings.temperature,
        "top_p": settings.top_p,
    }
    stops = [s for s in stop if s]
    if profile.max_stops is not None:
        stops = stops[: profile.max_stops]
    if stops:
        body["stop"] = stops
    if profile.seed and settings.seed is not None:
        body["seed"] = settings.seed
    if profile.top_k:
        # 0 means "off" to llama.cpp; vLLM spells that -1.
        off = -1 if profile.name == "vllm" else 0
        body["top_k"] = settings.top_k if settings.top_k > 0 else off
    if profile.min_p:
        body["min_p"] = settings.min_p
    if profile.repeat_penalty_field:
        body[profile.repeat_penalty_field] = settings.repeat_penalty
    if profile.name == "llama.cpp":
        body["repeat_last_n"] = settings.repeat_last_n
    if n > 1 and profile.batched_n:
        body["n"] = n
    if logprobs > 0 and profile.logprobs:
        body["logprobs"] = min(logprobs, profile.max_logprobs)
    if profile.usage_option:
        body["stream_options"] = {"include_usage": True}
    body.update(profile.extra)
    return body
