"""A GGUF's chat template, rendered by llama-cpp-python's Jinja2ChatFormatter."""

from __future__ import annotations

import pytest

from models.local.chat_format import render_chat

MESSAGES = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]


def test_what_transformers_templates_use_renders() -> None:
    """Loop controls, the {% generation %} tag and tojson: what the hand-made sandbox lacked."""
    template = (
        "{{ bos_token }}{% for m in messages %}{% if loop.index > 1 %}{% break %}{% endif %}"
        "{% generation %}{{ m | tojson }}{% endgeneration %}{% endfor %}"
        "{% if add_generation_prompt %}[{{ strftime_now('%Y') | length }}]{% endif %}"
    )
    text = render_chat(template, MESSAGES)
    assert text == '<|endoftext|>{"role": "user", "content": "Hi"}[4]'


def test_a_template_that_refuses_raises() -> None:
    with pytest.raises(Exception, match="no system role"):
        render_chat("{{ raise_exception('no system role') }}", MESSAGES)


def test_the_sandbox_refuses_what_templates_must_not_reach() -> None:
    with pytest.raises(Exception, match=r"unsafe|not safely|access"):
        render_chat("{{ ''.__class__.__mro__[1].__subclasses__() }}", MESSAGES)
