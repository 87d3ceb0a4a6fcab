"""A GGUF's chat template (``tokenizer.chat_template``), rendered by llama-cpp-python.

:class:`llama_cpp.llama_chat_format.Jinja2ChatFormatter` renders it as Transformers does: in
Jinja2's immutable sandbox, with ``raise_exception``, ``strftime_now``, the bos and eos tokens,
the loop controls and ``{% generation %}`` tag chat templates use, and Transformers' ``tojson``.
Prompt building (:mod:`models.prompting.chat_template`) imports no llama.cpp: the model hands
it this renderer (:meth:`models.local.llama_model.LlamaModel.render_chat`).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from models.prompting.transcript import EOT_TEXT

if TYPE_CHECKING:
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter


@lru_cache(maxsize=4)
def _formatter(template: str) -> Jinja2ChatFormatter:
    """The template compiled once (a chat prompt renders it a few times while fitting)."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    return Jinja2ChatFormatter(template, eos_token=EOT_TEXT, bos_token=EOT_TEXT)


def render_chat(template: str, messages: list[dict[str, str]]) -> str:
    """``messages`` through ``template``, ending with the assistant's turn to write.

    Raises what a broken or hostile template raises (a syntax error, the sandbox's
    ``SecurityError``, the template's own ``raise_exception``)."""
    chat: Any = messages  # (llama-cpp-python's message TypedDicts: the same dicts)
    return _formatter(template)(messages=chat).prompt
