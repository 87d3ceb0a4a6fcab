"""What a widget asks the screen for: a dialog, and what to do with its answer.

Widgets never open screens (import-linter holds ``tui.widgets`` off ``tui.screens``): they post
one of these messages, the main screen (:class:`~tui.screens.main.MainScreen`) opens the dialog,
and hands the answer (None: the writer backed out) to ``reply``, which runs on the UI thread.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from models.engine_client import GenerateRequest
    from models.token_probs import TokenInfo
    from tui.presets import Preset
    from tui.store.branches import BranchTree


@dataclass
class PickAlternative(Message):
    """F6: write ``request``'s continuations side by side; ``reply`` gets the one picked and
    every text written."""

    request: GenerateRequest
    reply: Callable[[str | None, Sequence[str]], None]


@dataclass
class PickBranch(Message):
    """Ctrl+T: the branch tree; ``reply`` gets the id of the node to read."""

    tree: BranchTree
    reply: Callable[[str | None], None]


@dataclass
class CheckPoem(Message):
    """F7: check the poem ``text``, with rhymes for ``word``; ``reply`` gets the rhyme picked."""

    text: str
    word: str
    reply: Callable[[str | None], None]


@dataclass
class EditPresets(Message):
    """Presets…: edit ``presets`` (``current`` first); ``reply`` gets the preset to write with
    and whether to save it."""

    presets: dict[str, Preset]
    current: str
    reply: Callable[[tuple[Preset, bool] | None], None]


@dataclass
class PickToken(Message):
    """Ctrl+R: the model's other choices for a token; ``reply`` gets the text picked."""

    info: TokenInfo
    reply: Callable[[str | None], None]


@dataclass
class AskChoice(Message):
    """A ``question`` with a few ``answers`` (id, label): ``reply`` gets the id picked."""

    question: str
    answers: list[tuple[str, str]]
    reply: Callable[[str | None], None]
