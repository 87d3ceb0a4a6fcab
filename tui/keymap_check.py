"""Check a user keymap (``[keymap]`` in config.toml) before it silently does nothing.

Three mistakes are easy to make and invisible in use: an id that no binding has, a key name
Textual never sends (``ctrl+spcae``), and a key given to one action that another action in the
same place already uses (the second one then never runs). :func:`problems` names each. Keys
that share a place by design (Ctrl+S saves the document, and the notes in F8) are no mistake:
only a key the keymap brings to a binding can clash.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from textual.binding import Binding, BindingType
from textual.keys import Keys

from tui.textual_private import key_name

MODIFIERS = {"ctrl", "shift", "alt", "meta", "super", "hyper"}
_NAMED = {key.value.rsplit("+", 1)[-1] for key in Keys}
_NAMED |= {key_name(chr(code)) for code in range(32, 127)}
_NAMED |= {f"f{n}" for n in range(1, 25)} | {"enter", "space", "tab", "backspace", "delete"}

Context = tuple[str, Sequence[BindingType]]


def valid_key(key: str) -> bool:
    """Whether Textual can send ``key`` (``ctrl+s``, ``f6``, ``escape``, ``a``, ``ctrl+space``)."""
    *mods, name = key.strip().lower().split("+")
    return bool(name) and all(m in MODIFIERS for m in mods) and (len(name) == 1 or name in _NAMED)


def _ids(bindings: Iterable[BindingType]) -> dict[str, Binding]:
    return {b.id: b for b in bindings if isinstance(b, Binding) and b.id}


def problems(keymap: dict[str, str], contexts: Sequence[Context]) -> list[str]:
    """One line per problem: unknown ids, unknown keys, and keys claimed twice in a place."""
    known: dict[str, Binding] = {}
    for _, bindings in contexts:
        known |= _ids(bindings)
    out: list[str] = []
    for binding_id, keys in keymap.items():
        if binding_id not in known:
            out.append(f"keymap: no binding has the id {binding_id!r} (F1 lists the ids)")
            continue
        for key in keys.split(","):
            if not valid_key(key):
                out.append(f"keymap: {binding_id} = {key.strip()!r} is not a key name")
    for place, bindings in contexts:
        owners: dict[str, list[str]] = {}
        brought: set[str] = set()  # keys the keymap gives a binding that it did not have
        for binding_id, binding in _ids(bindings).items():
            default = _keys(binding.key)
            for key in _keys(keymap.get(binding_id, binding.key)):
                owners.setdefault(key, []).append(binding_id)
                if key not in default:
                    brought.add(key)
        for key, ids in owners.items():
            if len(ids) > 1 and key in brought:
                out.append(f"keymap: {key} is bound to both {' and '.join(ids)} ({place})")
    return out


def _keys(keys: str) -> list[str]:
    return [key.strip().lower() for key in keys.split(",")]
