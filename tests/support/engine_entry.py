"""The engine process of tests: the hook named in ``QUILLPEN_TEST_ENGINE_HOOK``, then the real one.

The shipped engine (:mod:`models.local.process`) runs no code named in its environment. A test
that needs to slow or break the engine process points :data:`models.local.client.ENGINE_MODULE`
here (:func:`tests.support.engine_hooks.use`, or ``tests/trials/hooked_quillpen.py`` for a real
terminal); this module runs ``file.py:function`` from the variable and then the engine's main.
"""

from __future__ import annotations

import importlib.util
import os

ENTRY = "tests.support.engine_entry"
HOOK_ENV = "QUILLPEN_TEST_ENGINE_HOOK"


def run_hook() -> None:
    spec = os.environ.get(HOOK_ENV)
    if not spec:
        return
    path, _, func = spec.rpartition(":")
    module_spec = importlib.util.spec_from_file_location("quillpen_engine_hook", path)
    if module_spec is None or module_spec.loader is None:
        raise SystemExit(f"cannot load the engine test hook {path}")
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    getattr(module, func)()


if __name__ == "__main__":
    from models.local import process

    run_hook()
    process.main()
