"""How quillpen starts its own Python child processes: never importing from the user's folder.

``python -m pkg.mod`` puts the current folder first on ``sys.path``, so a folder that holds its
own ``models/`` package (common in Django and ML projects) would run its code in our children,
or break them. ``-P`` fixes that only from Python 3.11; ``-I`` would also drop ``PYTHONPATH`` and
the user site (where a ``pip install --user`` quillpen lives). So the child starts with ``-c``
code that drops the current-folder entry first, then runs the module as ``__main__``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

_BOOT = (
    "import sys\n"
    "if sys.path and sys.path[0] in ('', '.'): del sys.path[0]\n"
    "import runpy\n"
    "runpy.run_module({module!r}, run_name='__main__', alter_sys=True)\n"
)

NO_BACKTRACE_ENV = "GGML_NO_BACKTRACE"
"""Set in processes that load models: a llama.cpp abort prints no gdb backtrace (on stdout)."""


def module_argv(module: str, *args: str) -> list[str]:
    """The command line that runs ``module`` as ``__main__`` with ``args``, cwd not on its path."""
    return [sys.executable, "-c", _BOOT.format(module=module), *args]


def child_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """``env`` (default: ours) with what every child that may load a model needs."""
    out = dict(os.environ if env is None else env)
    out.setdefault(NO_BACKTRACE_ENV, "1")
    return out


def quiet_native_aborts() -> None:
    """In this process: a llama.cpp abort prints no gdb backtrace (it would land on stdout)."""
    os.environ.setdefault(NO_BACKTRACE_ENV, "1")
