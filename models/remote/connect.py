"""What "loading a model" means for a remote engine: learn the server, pick one of its models.

:func:`connect` reads ``/v1/models``, recognises the server (or takes the configured profile),
chooses the model, finds the window (configured, else vLLM's ``max_model_len``, llama-server's
``/props`` and ``n_ctx_train``, whichever is smallest, else 1024) and, for llama-server, its
slots (``/props`` ``total_slots``: the most choices one request may carry, all sharing that
window), tries the server's tokenizer endpoint (an estimate where there is none) and says what
the engine can do and why not.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from models.engine_client import Capabilities, ModelLoaded
from models.remote.errors import RemoteError
from models.remote.http import RemoteHttp, as_json_object
from models.remote.loop import in_thread
from models.remote.profiles import (
    DEFAULT_CONTEXT,
    PROFILES,
    ServerProfile,
    context_from_model,
    context_from_props,
    detect_profile,
    slots_from_props,
)
from models.remote.tokens import ApproxTokenizer, ServerTokenizer
from models.text import printable

log = logging.getLogger("quillpen.remote_engine")
NO_TOKENIZER = (400, 404, 405, 422, 501)
"""Answers from a tokenizer endpoint that mean "there is none here"."""


@dataclass(frozen=True)
class RemoteModel:
    """One entry of the server's ``/v1/models``."""

    id: str
    owned_by: str = ""
    context_length: int | None = None


@dataclass(frozen=True)
class ModelListing:
    """The server's models, or why they could not be listed."""

    models: tuple[RemoteModel, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class Connection:
    model: str
    profile: ServerProfile
    tokenizer: ServerTokenizer | ApproxTokenizer
    window: int
    slots: int
    """Requests to send at once."""
    loaded: ModelLoaded
    capabilities: Capabilities
    batch: int | None = 1
    """The most choices one request may ask for (None: any number)."""


def unsupported(label: str) -> dict[str, str]:
    """What no completions server does for quillpen, and why (Capabilities.reasons)."""
    return {
        "bans": f"{label} cannot ban phrases (that needs the local engine's rollback)",
        "score": f"{label} cannot score text here; the local engine can",
    }


def parse_models(listing: dict[str, Any]) -> list[RemoteModel]:
    entries = listing.get("data")
    if not isinstance(entries, list):
        raise RemoteError("the server's model list has no data: is this an OpenAI-compatible API?")
    return [
        RemoteModel(entry["id"], str(entry.get("owned_by", "")), context_from_model(entry))
        for entry in entries
        if isinstance(entry, dict) and isinstance(entry.get("id"), str)
    ]


async def list_models(http: RemoteHttp) -> ModelListing:
    try:
        listing = await http.get_json(http.url + "/models")
        return ModelListing(tuple(parse_models(listing)))
    except RemoteError as exc:
        return ModelListing(error=exc.message)


async def connect(
    http: RemoteHttp,
    wanted: str | None,
    *,
    profile: ServerProfile | None,
    context_length: int | None,
) -> Connection:
    """Learn the server and choose ``wanted`` (None: its first model); raises RemoteError."""
    host = http.host
    url = http.url + "/models"
    response = await http.send("GET", url)
    listing = as_json_object(response, url)
    models = parse_models(listing)
    notices: list[str] = []
    profile = profile or detect_profile(listing, response.headers.get("server", ""))
    props = None
    if profile is None or profile.name == "llama.cpp":
        props = await http.props()
        if profile is None and props is not None:
            profile = PROFILES["llama.cpp"]
    if profile is None:
        profile = PROFILES["openai"]
        notices.append(
            f"quillpen does not recognise the server at {host}, so it sends only OpenAI's "
            "standard fields (no top_k, min_p or repeat penalty). If it is vLLM, llama.cpp or "
            "llama_cpp.server, set its profile in config.toml."
        )
    if not models:
        raise RemoteError(f"{host} serves no models (its model list is empty).")
    ids = [m.id for m in models]
    if wanted and wanted not in ids:
        shown = ", ".join(ids[:8]) + (" …" if len(ids) > 8 else "")
        raise RemoteError(f"{host} has no model {wanted!r}; it has: {shown}.")
    model = models[ids.index(wanted)] if wanted else models[0]
    reported = [n for n in (model.context_length, context_from_props(props or {})) if n]
    window = context_length or (min(reported) if reported else DEFAULT_CONTEXT)
    server_slots = slots_from_props(props or {})
    slots, batch = server_slots or profile.concurrency, None if profile.batched_n else 1
    if profile.shared_cache:  # one request at a time, with as many choices as it has slots
        slots, batch = 1, server_slots or 1
    chosen = profile
    tokenizer = await in_thread(lambda: make_tokenizer(http, chosen, model.id, window))

    reasons = dict(profile.missing)
    if profile.batched_n and batch == 1:
        reasons["batched_alternatives"] = (
            f"{host} does not say how many slots it has: alternatives go one after another"
        )
    if not tokenizer.exact:
        reasons["tokenize"] = f"{host} has no tokenize endpoint: token counts are estimates"
        notices.append(
            f"Token counts are estimates: {host} has no tokenize endpoint quillpen knows, so "
            "prompts are fitted to the window with some room to spare."
        )
    if not profile.logprobs:
        reasons.setdefault("probabilities", f"{profile.label} sends no token probabilities")
    reasons |= unsupported(profile.label)
    if http.key_travels_in_clear():
        notices.append(
            f"The API key travels unencrypted to {host} (http://): use https:// for a server "
            "on another machine."
        )
    capabilities = Capabilities(
        streaming=True,
        cancel=True,
        probabilities=profile.logprobs,
        batched_alternatives=profile.batched_n and batch != 1,
        tokenize=tokenizer.exact,
        context_length=window,
        reasons=reasons,
    )
    loaded = ModelLoaded(
        name=printable(model.id),  # (the server's text: shown in the status bar)
        path=http.url,
        quant=f"({profile.label} @ {host})",
        n_ctx=window,
        notices=tuple(notices),
    )
    return Connection(model.id, profile, tokenizer, window, slots, loaded, capabilities, batch)


def make_tokenizer(
    http: RemoteHttp, profile: ServerProfile, model: str, window: int
) -> ServerTokenizer | ApproxTokenizer:
    """The server's tokenizer if its endpoint answers, else the estimate (blocking)."""
    if profile.tokenize is not None:
        tokenizer = ServerTokenizer(http, profile.tokenize, model, window)
        try:
            tokenizer.tokenize("Hello")
            return tokenizer
        except RemoteError as exc:
            if exc.status not in NO_TOKENIZER:
                raise
            log.info("%s: no usable tokenize endpoint (%s)", http.host, exc.message)
    return ApproxTokenizer(window)
