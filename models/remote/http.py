"""HTTP for a remote engine: its URL, its clients, the API key, and the 429/503 retries.

Certificates are always verified (httpx's CA bundle, ``SSL_CERT_FILE``, or the engine's
``ca_file``). The API key is read from the named environment variable for each request and sent
as a Bearer token; it is never stored, logged, or put in a message. Failures become
:class:`models.remote.errors.RemoteError` with one plain sentence.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import ssl
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from httpx_sse import EventSource, aconnect_sse

from models.errors import QuillpenError
from models.redaction import add_secret
from models.remote.errors import (
    RETRY_STATUSES,
    RemoteError,
    host_of,
    retry_after,
    status_error,
    transport_error,
)

log = logging.getLogger("quillpen.remote_engine")

CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 60.0
"""Seconds without a byte from the server before a request fails as stalled."""
RETRY_DELAYS = (1.0, 2.0, 4.0)
"""Waits before the retries of a 429/503 answer (the server's ``Retry-After`` wins)."""
MAX_RETRY_WAIT = 30.0
BODY_LIMIT = 256 * 1024
"""Bytes of an error (or non-streamed) answer that are read."""
JSON_LIMIT = 16 * 1024 * 1024
"""Bytes of a whole answer (``/v1/models``, ``/props``, tokenize): a longer one is refused."""


@dataclass(frozen=True)
class Retrying:
    """The server answered 429 or 503: quillpen waits ``wait`` seconds and tries again."""

    request_id: int | None
    """None: not a generation (the model list, while loading)."""
    status: int
    attempt: int
    of: int
    wait: float

    @property
    def message(self) -> str:
        what = "busy (429)" if self.status == 429 else f"unavailable ({self.status})"
        return (
            f"The server is {what}: retrying in {self.wait:.0f} s "
            f"(retry {self.attempt} of {self.of})."
        )


def base_url(url: str) -> str:
    """The API's base URL (``…/v1``), checked; a pasted endpoint keeps only its base."""
    text = url.strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise QuillpenError(
            "a remote engine needs an http:// or https:// URL such as "
            f"http://127.0.0.1:8000/v1, not {url!r}"
        )
    if parts.username or parts.password:
        raise QuillpenError(
            "put no password in the engine URL: name an environment variable in api_key_env"
        )
    for suffix in ("/completions", "/models"):
        if text.endswith("/v1" + suffix):
            text = text[: -len(suffix)]
    return text


def _trust(ca_file: str | os.PathLike[str]) -> ssl.SSLContext:
    """A context that trusts ``ca_file`` too; a missing or bad file is one plain RemoteError."""
    try:
        return ssl.create_default_context(cafile=os.fspath(ca_file))
    except (OSError, ssl.SSLError, ValueError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not a CA certificate"
        raise RemoteError(f"ca_file {os.fspath(ca_file)}: {why}") from None


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class RemoteHttp:
    """One server: an async client for the loop thread, a sync one for tokenizer threads."""

    def __init__(
        self,
        url: str,
        *,
        api_key_env: str | None = None,
        ca_file: str | os.PathLike[str] | None = None,
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
        retry_delays: Sequence[float] = RETRY_DELAYS,
        on_retry: Callable[[Retrying], None] | None = None,
    ) -> None:
        self.url = base_url(url)
        self.root = self.url[: -len("/v1")] if self.url.endswith("/v1") else self.url
        """Where the servers' own endpoints are (``/props``, ``/tokenize``)."""
        self.host = host_of(self.url)
        self.api_key_env = api_key_env or None
        self.read_timeout = read_timeout
        self.retry_delays = tuple(retry_delays)
        self.on_retry = on_retry
        self._timeout = httpx.Timeout(read_timeout, connect=connect_timeout)
        self._verify: ssl.SSLContext | bool = True
        self.trust_problem: str | None = None
        """A ca_file that cannot be used: every request fails with it (plainly, not here)."""
        if ca_file:
            try:
                self._verify = _trust(ca_file)
            except RemoteError as exc:
                self.trust_problem = exc.message
        self.aclient: httpx.AsyncClient | None = None
        self.client: httpx.Client | None = None

    def open(self) -> None:
        if self.aclient is None:
            self.aclient = httpx.AsyncClient(timeout=self._timeout, verify=self._verify)
        if self.client is None:
            self.client = httpx.Client(timeout=self._timeout, verify=self._verify)

    async def aclose(self) -> None:
        aclient, self.aclient = self.aclient, None
        client, self.client = self.client, None
        if client is not None:
            client.close()
        if aclient is not None:
            await aclient.aclose()

    def sync_client(self) -> httpx.Client:
        if self.trust_problem is not None:
            raise RemoteError(self.trust_problem)
        if self.client is None:
            raise RemoteError("the engine was closed")
        return self.client

    def _async_client(self) -> httpx.AsyncClient:
        if self.trust_problem is not None:
            raise RemoteError(self.trust_problem)
        if self.aclient is None:
            raise RemoteError("the engine was closed")
        return self.aclient

    # The key --------------------------------------------------------------------------------
    def key(self) -> str | None:
        if not self.api_key_env:
            return None
        key = os.environ.get(self.api_key_env) or None
        add_secret(key)  # never shown: redacted from messages and log records
        return key

    def headers(self) -> dict[str, str]:
        key = self.key()
        return {"Authorization": f"Bearer {key}"} if key else {}

    def key_travels_in_clear(self) -> bool:
        return (
            self.key() is not None
            and urlsplit(self.url).scheme == "http"
            and not is_loopback(self.url)
        )

    # Requests -------------------------------------------------------------------------------
    def status_error(
        self, response: httpx.Response, content: bytes, url: str, retries: int = 0
    ) -> RemoteError:
        return status_error(
            response.status_code,
            response.reason_phrase,
            content,
            url,
            api_key_env=self.api_key_env,
            key_set=self.key() is not None,
            retries=retries,
        )

    def _can_retry(self, response: httpx.Response, attempt: int) -> bool:
        return response.status_code in RETRY_STATUSES and attempt < len(self.retry_delays)

    async def wait_retry(
        self, response: httpx.Response, attempt: int, request_id: int | None
    ) -> None:
        asked = retry_after(response.headers)
        wait = min(MAX_RETRY_WAIT, asked if asked is not None else self.retry_delays[attempt])
        notice = Retrying(
            request_id, response.status_code, attempt + 1, len(self.retry_delays), wait
        )
        log.info("%s", notice.message)
        if self.on_retry is not None:
            try:
                self.on_retry(notice)
            except Exception:
                log.exception("on_retry callback failed")
        await asyncio.sleep(wait)

    async def send(self, method: str, url: str) -> httpx.Response:
        """A plain request, with the 429/503 retries; an error answer raises. The body is read
        only up to :data:`JSON_LIMIT` bytes (a longer one raises)."""
        attempt = 0
        while True:
            response = await self.fetch(method, url)
            if self._can_retry(response, attempt):
                await self.wait_retry(response, attempt, None)
                attempt += 1
                continue
            if response.status_code >= 400:
                raise self.status_error(response, response.content, url, attempt)
            return response

    async def fetch(self, method: str, url: str, limit: int = JSON_LIMIT) -> httpx.Response:
        """One request, its body read to at most ``limit`` bytes (an error body: cut)."""
        client = self._async_client()
        request = client.build_request(method, url, headers=self.headers())
        try:
            response = await client.send(request, stream=True)
            try:
                content = await read_capped(response, limit, url)
            finally:
                await response.aclose()
        except httpx.TransportError as exc:
            raise transport_error(exc, url, read_timeout=self.read_timeout) from None
        return bounded(response, content)

    def post_sync(self, url: str, body: dict[str, Any], limit: int = JSON_LIMIT) -> httpx.Response:
        """POST ``body`` as JSON from a worker thread, the answer read to ``limit`` bytes."""
        client = self.sync_client()
        request = client.build_request("POST", url, json=body, headers=self.headers())
        try:
            response = client.send(request, stream=True)
            try:
                content = bytearray()
                for piece in response.iter_bytes():
                    content += piece
                    if response.is_error and len(content) >= BODY_LIMIT:
                        break  # (an error answer is only cut)
                    check_size(len(content), limit, response, url)
            finally:
                response.close()
        except httpx.TransportError as exc:
            raise transport_error(exc, url, read_timeout=self.read_timeout) from None
        return bounded(response, bytes(content[:BODY_LIMIT] if response.is_error else content))

    async def get_json(self, url: str) -> dict[str, Any]:
        return as_json_object(await self.send("GET", url), url)

    async def props(self) -> dict[str, Any] | None:
        """llama-server's ``/props`` (None from any other server, or on any failure)."""
        try:
            response = await self.fetch("GET", self.root + "/props")
            data = response.json() if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError, RemoteError, RecursionError):
            return None
        return data if isinstance(data, dict) else None

    @asynccontextmanager
    async def stream(
        self,
        url: str,
        body: dict[str, Any],
        request_id: int,
        received: Callable[[], int],
    ) -> AsyncIterator[tuple[httpx.Response, EventSource]]:
        """POST ``body`` and hand over the answer as an event source, after any 429/503
        retries. A network failure, there or while reading, raises :class:`RemoteError` with
        ``received()`` (the tokens delivered so far) in its message."""
        attempt = 0
        while True:
            refused: httpx.Response | None = None
            try:
                async with aconnect_sse(
                    self._async_client(), "POST", url, json=body, headers=self.headers()
                ) as source:
                    response = source.response
                    if self._can_retry(response, attempt):
                        refused = response
                    elif response.status_code >= 400:
                        content = await read_body(response)
                        raise self.status_error(response, content, url, attempt)
                    else:
                        yield response, source
                        return
            except httpx.TransportError as exc:
                raise transport_error(
                    exc, url, read_timeout=self.read_timeout, received=received()
                ) from None
            assert refused is not None
            await self.wait_retry(refused, attempt, request_id)
            attempt += 1


async def read_body(response: httpx.Response) -> bytes:
    """At most :data:`BODY_LIMIT` bytes of a streamed answer's body."""
    data = bytearray()
    async for piece in response.aiter_bytes():
        data += piece
        if len(data) >= BODY_LIMIT:
            break
    return bytes(data[:BODY_LIMIT])


def check_size(size: int, limit: int, response: httpx.Response, url: str) -> None:
    """Refuse a (successful) answer longer than ``limit`` bytes; an error one is only cut."""
    if size > limit and not response.is_error:
        raise RemoteError(
            f"{url} sent an answer longer than {limit // (1024 * 1024)} MB: quillpen refuses it."
        )


async def read_capped(response: httpx.Response, limit: int, url: str) -> bytes:
    """The body, refused past ``limit`` bytes (an error answer's is cut to BODY_LIMIT)."""
    if response.is_error:
        return await read_body(response)
    data = bytearray()
    async for piece in response.aiter_bytes():
        data += piece
        check_size(len(data), limit, response, url)
    return bytes(data)


def bounded(response: httpx.Response, content: bytes) -> httpx.Response:
    """``response`` (already closed) with ``content`` as its whole body."""
    return httpx.Response(
        response.status_code,
        headers=[(k, v) for k, v in response.headers.multi_items() if k != "content-encoding"],
        content=content,
        request=response.request,
        extensions={"reason_phrase": response.extensions.get("reason_phrase", b"")},
    )


def as_json_object(response: httpx.Response, url: str) -> dict[str, Any]:
    try:
        data = response.json()
    except (ValueError, RecursionError):
        data = None
    if not isinstance(data, dict):
        raise RemoteError(
            f"{url} did not answer with a JSON object: is this an OpenAI-compatible API?"
        )
    return data
