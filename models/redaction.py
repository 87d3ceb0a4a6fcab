"""Secrets (the remote engine's API key) never shown or logged: their values are redacted.

:func:`add_secret` registers a value as it is read; :func:`redact` replaces each registered value
in a text; :class:`RedactingFilter` does it to every log record (a server or proxy may echo the
``Authorization`` header, and httpcore's debug log prints request headers).
"""

from __future__ import annotations

import logging
import re
import threading

MASK = "[redacted]"
MIN_SECRET = 4
"""Shorter values are not redacted (they would mangle ordinary text)."""
_secrets: set[str] = set()
_lock = threading.Lock()
_BEARER = re.compile(r"(?i)(bearer\s+)[^\s'\"\\,;]+")


def add_secret(value: str | None) -> None:
    """Redact ``value`` from now on (in this process)."""
    if value and len(value) >= MIN_SECRET:
        with _lock:
            _secrets.add(value)


def redact(text: str) -> str:
    """``text`` with every registered secret, and any ``Bearer`` token, masked."""
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    if "earer" in text:
        text = _BEARER.sub(lambda m: m.group(1) + MASK, text)
    return text


class RedactingFilter(logging.Filter):
    """Masks secrets in a record's formatted message (and drops its args, now used)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the handler
            return True
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, ()
        return True
