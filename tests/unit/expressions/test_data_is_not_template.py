"""Values that arrive as data stay literal: only render() turns them into templates."""

from __future__ import annotations

from typing import Any

from legato.expressions import Renderer

PAYLOAD = "{{ 7*7 }}"


def test_input_value_is_printed_literally(renderer: Renderer) -> None:
    ctx = {"inputs": {"comment": PAYLOAD}}
    assert renderer.render("Comment: {{ inputs.comment }}", ctx) == "Comment: {{ 7*7 }}"
    assert renderer.render_typed("{{ inputs.comment }}", ctx) == "{{ 7*7 }}"
    assert renderer.render("{{ render(inputs.comment) }}", ctx) == "49"


def test_kv_value_is_printed_literally(renderer: Renderer) -> None:
    store = {"greeting": PAYLOAD}

    def kv(key: str) -> Any:
        return store[key]

    assert renderer.render("{{ kv('greeting') }}", {}, functions={"kv": kv}) == "{{ 7*7 }}"
    assert renderer.render("{{ kv('greeting') | upper }}", {}, functions={"kv": kv}) == "{{ 7*7 }}"
    assert renderer.render("{{ render(kv('greeting')) }}", {}, functions={"kv": kv}) == "49"


def test_trigger_body_is_printed_literally(renderer: Renderer) -> None:
    ctx = {"trigger": {"body": {"msg": PAYLOAD, "nested": [PAYLOAD]}}}
    assert renderer.render("{{ trigger.body.msg }}", ctx) == "{{ 7*7 }}"
    assert renderer.render("{{ trigger.body }}", ctx) == '{"msg":"{{ 7*7 }}","nested":["{{ 7*7 }}"]}'
    assert renderer.render("{{ trigger.body.msg }}", ctx) != "49"
    assert renderer.render("{{ render(trigger.body.msg) }}", ctx) == "49"


def test_render_all_does_not_render_values_it_substitutes(renderer: Renderer) -> None:
    ctx = {"outputs": {"t1": {"value": PAYLOAD}}}
    properties = {"message": "{{ outputs.t1.value }}", "list": ["{{ outputs.t1.value }}"]}
    assert renderer.render_all(properties, ctx) == {"message": PAYLOAD, "list": [PAYLOAD]}


def test_secret_value_containing_template_syntax_stays_literal(renderer: Renderer) -> None:
    assert renderer.render("{{ secret('S') }}", {}, functions={"secret": lambda name: PAYLOAD}) == PAYLOAD
