"""Two shapes of Kestra's AI blueprints that Kestra's own plugins do not define, against the model APIs' test
double: a `configuration` block inside a provider (set through pluginDefaults; Kestra ignores it, so Legato does
too and says so) and Gemini/Perplexity `messages` written with OpenAI's `role` instead of Kestra's `type`."""

from __future__ import annotations

import pytest
from tests.integration.ai.conftest import Harness
from tests.integration.ai.model_server import KEY, ModelServer, gemini_text, openai_text

from legato.flows import parse_flow
from legato.model.errors import FlowValidationError


def summarizer(model: ModelServer) -> str:
    """The shape of Kestra's agent-text-summarizer blueprint: the provider, with a `configuration`, in pluginDefaults."""
    return f"""\
id: summarizer
namespace: company.ai
tasks:
  - id: agent
    type: io.kestra.plugin.ai.agent.AIAgent
    systemMessage: You summarise.
    prompt: Summarise Legato.
pluginDefaults:
  - type: io.kestra.plugin.ai.agent.AIAgent
    values:
      provider:
        type: io.kestra.plugin.ai.provider.GoogleGemini
        modelName: gemini-2.5-flash
        apiKey: {KEY}
        baseUrl: {model.url}
        configuration:
          logRequests: true
          temperature: 0.9
          responseFormat:
            type: JSON
"""


def test_a_provider_configuration_from_plugin_defaults_is_accepted_and_not_applied(harness: Harness, model: ModelServer) -> None:
    model.script("/v1/chat/completions", openai_text("Legato runs flows."))
    flow = parse_flow(summarizer(model))
    ctx = harness.context()
    out = harness.run(flow.task("agent").model_dump(by_alias=True, exclude_none=True), ctx)
    # as in Kestra: the answer is text (the JSON format was not applied) and nothing of the block was sent
    assert out["textOutput"] == "Legato runs flows." and "jsonOutput" not in out
    sent = model.requests[0].body
    assert sent["model"] == "gemini-2.5-flash" and "temperature" not in sent and "response_format" not in sent
    warnings = [m for level, m in harness.messages(ctx) if level == "WARN"]
    assert any("GoogleGemini provider's 'configuration' (logRequests, responseFormat, temperature) is not applied" in m
               for m in warnings), warnings


def test_the_task_configuration_still_applies_next_to_an_ignored_provider_one(harness: Harness, model: ModelServer) -> None:
    model.script("/v1/chat/completions", openai_text('{"summary": "Legato runs flows."}'))
    source = summarizer(model).replace("    prompt: Summarise Legato.\n",
                                       "    prompt: Summarise Legato.\n    configuration: {temperature: 0.1, responseFormat: {type: JSON}}\n")
    out = harness.run(parse_flow(source).task("agent").model_dump(by_alias=True, exclude_none=True))
    assert out["jsonOutput"] == {"summary": "Legato runs flows."}
    assert model.requests[0].body["temperature"] == 0.1


def test_gemini_and_perplexity_messages_may_say_role(harness: Harness, model: ModelServer) -> None:
    base = model.url.replace("/v1", "/v1beta")
    path = "/v1beta/models/gemini-2.5-flash:generateContent"
    model.script(path, gemini_text("Forty-two."))
    ctx = harness.context()
    out = harness.run(f"id: reasoning\ntype: io.kestra.plugin.gemini.ChatCompletion\napiKey: {KEY}\nbaseUrl: {base}\n"
                      "model: gemini-2.5-flash\nmessages:\n  - role: user\n    content: What is six times seven?\n", ctx)
    assert [p["content"] for p in out["predictions"]] == ["Forty-two."]
    assert model.of(path)[0].body == {"contents": [{"role": "user", "parts": [{"text": "What is six times seven?"}]}]}
    assert any("messages [0] say 'role'" in m and "Kestra's gemini.ChatCompletion fails" in m
               for level, m in harness.messages(ctx) if level == "WARN")

    model.script("/v1/chat/completions", openai_text("Kestra is an orchestrator."))
    out = harness.run(f"id: search\ntype: io.kestra.plugin.perplexity.ChatCompletion\napiKey: {KEY}\nbaseUrl: {model.url}\n"
                      "model: sonar\nmessages: [{role: system, content: Be brief.}, {type: USER, content: 'What is Kestra?'}]\n")
    assert out["outputText"] == "Kestra is an orchestrator."
    assert model.of("/v1/chat/completions")[0].body["messages"] == [
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is Kestra?"}]


@pytest.mark.parametrize("message", ["{type: USER, role: user, content: hi}", "{content: hi}", "{role: robot, content: hi}"])
def test_a_message_names_its_speaker_once(message: str) -> None:
    with pytest.raises(FlowValidationError, match=r"tasks\[0\]\.messages\[0\]"):
        parse_flow(f"id: f\nnamespace: n\ntasks:\n  - id: g\n    type: io.kestra.plugin.gemini.ChatCompletion\n"
                   f"    apiKey: k\n    model: gemini-2.5-flash\n    messages: [{message}]\n")
