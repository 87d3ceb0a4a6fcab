"""llama.cpp's own log lines, routed into Python logging (never onto the terminal).

``Llama(verbose=False)`` would redirect file descriptors 1 and 2, which blanks a running TUI;
a ``llama_log_set`` callback sends the lines to the ``llama_cpp`` logger instead, and keeps
the recent ERROR lines, which are the only place a failed load says why.
"""

from __future__ import annotations

import ctypes
import logging
import re
from collections import deque

llama_log = logging.getLogger("llama_cpp")
# ggml_log_level: NONE=0, DEBUG=1, INFO=2, WARN=3, ERROR=4, CONT=5 (continues the last line).
_LEVELS = {1: logging.DEBUG, 2: logging.INFO, 3: logging.WARNING, 4: logging.ERROR}
_log_callback = None  # keeps the ctypes callback alive
# llama.cpp's recent ERROR lines: a failed load says why only there (and logging may be quiet).
_errors: deque[str] = deque(maxlen=8)
_FUNC_PREFIX = re.compile(r"^(\w+: )+")


def route_llama_logs() -> None:
    """Send llama.cpp's C-side logs to Python logging instead of the terminal."""
    global _log_callback
    if _log_callback is not None:
        return
    import llama_cpp

    @llama_cpp.llama_log_callback  # type: ignore[untyped-decorator,misc]
    def _callback(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
        msg = text.decode("utf-8", "replace").rstrip()
        if msg:
            if level == 4:
                _errors.append(msg)
            llama_log.log(_LEVELS.get(level, logging.DEBUG), "%s", msg)

    _log_callback = _callback
    llama_cpp.llama_log_set(_callback, ctypes.c_void_p(0))


def load_failure_reason(exc: BaseException) -> str:
    """Why llama.cpp refused a model: its first error line, without function-name prefixes."""
    for line in _errors:
        reason = line.strip()
        while True:  # "llama_model_load: error loading model: check_tensor_dims: tensor ..."
            shorter = _FUNC_PREFIX.sub("", reason).removeprefix("error loading model: ")
            if shorter == reason:
                break
            reason = shorter
        if reason and "failed to load model" not in reason:
            return " ".join(reason.split())
    return str(exc)


def clear_errors() -> None:
    """Forget earlier error lines (before a load, whose failure they would explain)."""
    _errors.clear()
