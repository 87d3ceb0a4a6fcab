"""One plain sentence for each way a remote engine can fail (never a traceback).

:class:`RemoteError` carries the sentence. :func:`transport_error` names what went wrong on the
network (refused, DNS, TLS, a timeout, a dropped connection); :func:`status_error` explains an
HTTP error answer, with the server's own message where it sent one. Nothing here ever includes
the API key: only the name of the variable that holds it.
"""

from __future__ import annotations

import json
import logging
import socket
import ssl
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from models.errors import QuillpenError
from models.redaction import redact
from models.text import printable

log = logging.getLogger("quillpen.remote_engine")
RETRY_STATUSES = (429, 503)
MAX_MESSAGE = 300
"""Characters of a server's own error message that go into ours."""


class RemoteError(QuillpenError):
    """A remote engine failure, as one line a writer can act on."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = str(self)  # (made safe and redacted)
        self.status = status


def failure(exc: BaseException, host: str) -> str:
    """The one line a writer sees for ``exc`` (anything but a RemoteError is a bug: logged)."""
    if isinstance(exc, RemoteError):
        return exc.message
    log.error("remote engine failure", exc_info=exc)
    return redact(printable(f"unexpected error talking to {host}: {exc}"))


def host_of(url: str) -> str:
    """``host:port`` of ``url`` (for messages)."""
    parts = urlsplit(url)
    return parts.netloc.rpartition("@")[2] or url


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def transport_error(
    exc: httpx.TransportError, url: str, *, read_timeout: float, received: int = 0
) -> RemoteError:
    """The message for a network failure talking to ``url``; ``received``: tokens so far."""
    host = host_of(url)
    kept = " The text received so far is kept." if received else ""
    causes = list(_chain(exc))
    for cause in causes:
        if isinstance(cause, ssl.SSLCertVerificationError):
            why = cause.verify_message or cause.reason or "unknown reason"
            return RemoteError(
                f"The TLS certificate of {host} could not be verified ({why}). quillpen always "
                "verifies certificates: use the name the certificate was issued for, or give "
                "the server's CA certificate (ca_file in the engine's config)."
            )
        if isinstance(cause, ssl.SSLError):
            why = cause.reason or str(cause)
            hint = " Does the server speak https? Try http://." if "WRONG_VERSION" in why else ""
            return RemoteError(f"TLS error talking to {host} ({why}).{hint}")
    for cause in causes:
        if isinstance(cause, ConnectionRefusedError):
            return RemoteError(
                f"Cannot connect to {host}: the connection was refused. Is the server running, "
                "and are the host and port right?"
            )
        if isinstance(cause, socket.gaierror):
            return RemoteError(
                f"Cannot find the server {urlsplit(url).hostname or host}: the name does not "
                "resolve (DNS). Check the URL and your network."
            )
    if isinstance(exc, httpx.ConnectTimeout):
        return RemoteError(f"{host} did not answer the connection in time. Is it reachable?")
    if isinstance(exc, httpx.ReadTimeout | httpx.WriteTimeout | httpx.PoolTimeout):
        where = " mid-stream" if received else ""
        return RemoteError(
            f"The server at {host} stopped responding{where} (nothing for "
            f"{read_timeout:g} s).{kept}"
        )
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError):
        if received:
            return RemoteError(
                f"The connection to {host} dropped mid-stream after {received} "
                f"token{'s' if received != 1 else ''}.{kept}"
            )
        return RemoteError(f"The connection to {host} closed before the server answered.")
    if isinstance(exc, httpx.ConnectError):
        return RemoteError(f"Cannot connect to {host}: {_plain(str(exc))}.")
    if isinstance(exc, httpx.UnsupportedProtocol):
        return RemoteError(f"{url} is not an http:// or https:// URL.")
    if isinstance(exc, httpx.ProxyError):
        return RemoteError(f"The proxy refused the connection to {host}: {_plain(str(exc))}.")
    what = _plain(str(exc)) or type(exc).__name__
    return RemoteError(f"Network error talking to {host}: {what}.{kept}")


def _plain(text: str) -> str:
    return " ".join(text.split())[:MAX_MESSAGE].rstrip(".")


def server_message(body: bytes | str) -> str:
    """The error message a server put in its answer (OpenAI, vLLM, llama.cpp, FastAPI shapes)."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        data: Any = json.loads(text)
    except (ValueError, RecursionError):
        data = None
    message: Any = None
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict):
            message = error.get("message")
        elif isinstance(error, str):
            message = error
        message = message or data.get("message") or data.get("detail")
    elif not text.lstrip().startswith("<"):  # not an HTML error page
        message = text
    if isinstance(message, list | dict):
        message = json.dumps(message)
    return _plain(str(message)) if message else ""


def retry_after(headers: httpx.Headers) -> float | None:
    """Seconds the server asked us to wait (``Retry-After``: seconds or an HTTP date)."""
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    from datetime import datetime, timezone

    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def status_error(
    status: int,
    reason: str,
    body: bytes,
    url: str,
    *,
    api_key_env: str | None,
    key_set: bool,
    retries: int = 0,
) -> RemoteError:
    """The message for an HTTP error answer from ``url``."""
    host = host_of(url)
    said = server_message(body)
    detail = f": {said}" if said else ""
    code = f"{status} {reason}".strip()
    if status in (401, 403):
        if api_key_env and key_set:
            what = f"check {api_key_env}"
        elif api_key_env:
            what = f"set the environment variable {api_key_env} to your key"
        else:
            what = (
                "set api_key_env in the engine's config to the name of an environment "
                "variable that holds your key"
            )
        refused = "refused the API key" if key_set else "wants an API key"
        return RemoteError(f"{host} {refused} ({code}): {what}.", status=status)
    if status == 404:
        path = urlsplit(url).path
        base = path.rsplit("/", 1)[0]
        if base.rstrip("/").endswith("/v1"):
            hint = "is this an OpenAI-compatible completions server, and does it serve this model?"
        else:
            hint = "OpenAI-compatible servers are usually at a URL ending in /v1 (for example "
            hint += f"http://{host}/v1)."
        return RemoteError(f"Not found (404) at {url}: wrong path? {hint}", status=status)
    if status in RETRY_STATUSES:
        busy = "busy (429 Too Many Requests)" if status == 429 else f"unavailable ({code})"
        tries = f" after {retries} retries" if retries else ""
        return RemoteError(
            f"The server at {host} is {busy}{detail}; it still refused{tries}. Try again later.",
            status=status,
        )
    if status >= 500:
        return RemoteError(f"The server at {host} failed ({code}){detail}.", status=status)
    if status == 400 or status == 422:
        return RemoteError(
            f"The server at {host} rejected the request ({code}){detail}.", status=status
        )
    return RemoteError(f"The server at {host} answered {code}{detail}.", status=status)
