"""Kestra's `io.kestra.plugin.openai.*` tasks against the OpenAI API test double: the request each sends, the
outputs and the `usage.*.tokens` metrics."""

from __future__ import annotations

import base64
import json

import pytest
from tests.integration.ai.conftest import Harness
from tests.integration.ai.model_server import (
    KEY,
    ModelServer,
    anthropic_tool_use,
    gemini_text,
    openai_text,
    openai_tool_call,
)

from legato.plugins.context import TaskFailed


def head(model: ModelServer, kind: str) -> str:
    return f"type: io.kestra.plugin.openai.{kind}\napiKey: \"{{{{ secrets.OPENAI_API_KEY }}}}\"\nbaseUrl: {model.url}\n"


def metrics(ctx: object) -> dict[str, float]:
    return {m["name"]: m["value"] for m in ctx.effects.extra.get("metrics", [])}  # type: ignore[attr-defined]


def test_chat_completion_sends_messages_prompt_and_schema(harness: Harness, model: ModelServer) -> None:
    model.script("/v1/chat/completions", openai_text('{"sentiment": "positive"}', 12, 4))
    ctx = harness.context(secrets={"OPENAI_API_KEY": KEY}, inputs={"review": "Lovely concert"})
    out = harness.run("id: c\n" + head(model, "ChatCompletion") + """\
model: gpt-4o-mini
messages:
  - role: system
    content: You classify reviews.
prompt: "{{ inputs.review }}"
maxTokens: 50
jsonResponseSchema: '{"type": "object", "properties": {"sentiment": {"type": "string"}}}'
""", ctx)
    assert out["choices"][0]["message"]["content"] == '{"sentiment": "positive"}'
    assert out["usage"] == {"prompt_tokens": 12, "completion_tokens": 4, "total_tokens": 16}
    assert (out["id"], out["object"]) == ("chatcmpl-1", "chat.completion")
    [sent] = model.requests
    assert sent.body["messages"] == [{"role": "system", "content": "You classify reviews."},
                                     {"role": "user", "content": "Lovely concert"}]
    assert sent.body["max_completion_tokens"] == 50 and sent.body["temperature"] == 1.0
    assert sent.body["response_format"]["json_schema"] == {
        "name": "kestra_schema", "strict": True,
        "schema": {"type": "object", "properties": {"sentiment": {"type": "string"}}}}
    assert metrics(ctx) == {"usage.prompt.tokens": 12, "usage.completion.tokens": 4, "usage.total.tokens": 16}


def test_chat_completion_functions_return_the_call(harness: Harness, model: ModelServer) -> None:
    model.script("/v1/chat/completions", openai_tool_call("route", {"team": "billing"}))
    out = harness.run("id: c\n" + head(model, "ChatCompletion").replace("{{ secrets.OPENAI_API_KEY }}", KEY) + """\
model: gpt-4o-mini
prompt: My invoice is wrong
functionCall: route
functions:
  - name: route
    description: Route a ticket
    parameters:
      - name: team
        type: string
        description: The team
        enumValues: [billing, support]
        required: true
""")
    call = out["choices"][0]["message"]["tool_calls"][0]["function"]
    assert json.loads(call["arguments"]) == {"team": "billing"}
    sent = model.requests[0].body
    assert sent["tool_choice"] == {"type": "function", "function": {"name": "route"}}
    assert sent["tools"][0]["function"]["parameters"] == {
        "type": "object", "required": ["team"],
        "properties": {"team": {"type": "string", "description": "The team", "enum": ["billing", "support"]}}}
    with pytest.raises(TaskFailed, match="'functionCall' names 'nope', which is not one of 'functions': route"):
        harness.run("id: c\n" + head(model, "ChatCompletion") + "model: m\nprompt: x\nfunctionCall: nope\n"
                    "functions: [{name: route, parameters: []}]\n", harness.context(secrets={"OPENAI_API_KEY": KEY}))


def test_responses_output_text_and_sources(harness: Harness, model: ModelServer) -> None:
    model.script("/v1/responses", {
        "id": "resp_1", "object": "response", "status": "completed",
        "output": [{"type": "web_search_call", "id": "ws_1", "status": "completed"},
                   {"type": "message", "role": "assistant", "content": [
                       {"type": "output_text", "text": "Legato 1.0 shipped.",
                        "annotations": [{"type": "url_citation", "url": "https://example.com/news"}]}]}],
        "usage": {"input_tokens": 36, "output_tokens": 87, "total_tokens": 123, "input_tokens_details": {"cached_tokens": 0}}})
    ctx = harness.context(secrets={"OPENAI_API_KEY": KEY})
    out = harness.run("id: r\n" + head(model, "Responses") + """\
model: gpt-4.1-mini
input: What shipped this week?
tools:
  - type: web_search_preview
text:
  format: {type: text}
""", ctx)
    assert out["responseId"] == "resp_1" and out["outputText"] == "Legato 1.0 shipped."
    assert out["sources"] == ["https://example.com/news"]
    sent = model.requests[0].body
    assert sent["input"] == [{"role": "user", "content": [{"type": "input_text", "text": "What shipped this week?"}]}]
    assert sent["tools"] == [{"type": "web_search_preview"}] and sent["store"] is True and sent["tool_choice"] == "auto"
    assert metrics(ctx)["usage.total.tokens"] == 123


def test_create_image_keeps_base64_images_and_downloads_urls(harness: Harness, model: ModelServer) -> None:
    png = b"\x89PNG\r\n\x1a\nfake image"
    model.binary["/files/img.png"] = png
    model.script("/v1/images/generations", {"created": 1713833628, "data": [{"b64_json": base64.b64encode(png).decode()}]},
                 {"created": 1713833628, "data": [{"url": model.url.replace("/v1", "/files/img.png")}]})
    ctx = harness.context(secrets={"OPENAI_API_KEY": KEY}, execution=harness.one_execution())
    out = harness.run("id: i\n" + head(model, "CreateImage") + "prompt: a violin\nsize: SMALL\nquality: HIGH\n", ctx)
    [uri] = out["images"]
    assert uri.startswith("kestra:///") and ctx.storage.get(uri) == png
    assert model.requests[0].body == {"model": "gpt-image-1", "prompt": "a violin", "size": "256x256", "quality": "high"}
    out = harness.run("id: j\n" + head(model, "CreateImage") + "prompt: a cello\nmodel: dall-e-3\ndownload: true\n",
                      harness.context(secrets={"OPENAI_API_KEY": KEY}, execution=harness.one_execution()))
    assert ctx.storage.get(out["images"][0]) == png


def test_messages_may_come_whole_from_an_expression(harness: Harness, model: ModelServer) -> None:
    history = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Is {{ this }} rendered?"}]
    model.script("/v1/chat/completions", openai_text("No."))
    ctx = harness.context(secrets={"OPENAI_API_KEY": KEY}, outputs={"build": {"vars": {"messages": history}}})
    harness.run("id: c\n" + head(model, "ChatCompletion") + "model: m\nmessages: \"{{ outputs.build.vars.messages }}\"\n", ctx)
    assert model.requests[0].body["messages"] == history  # used as given: a user's braces are not rendered again


def test_anthropic_and_perplexity_chat_tasks(harness: Harness, model: ModelServer) -> None:
    model.script("/v1/messages", {**anthropic_tool_use("lookup", {"sku": "A1"}),
                                  "usage": {"input_tokens": 40, "output_tokens": 20, "cache_read_input_tokens": 7}})
    ctx = harness.context(secrets={"K": KEY})
    out = harness.run(f"""\
id: claude
type: io.kestra.plugin.anthropic.ChatCompletion
apiKey: "{{{{ secrets.K }}}}"
baseUrl: {model.url}
model: claude-sonnet-4-0
system: You look things up.
messages:
  - type: USER
    content: Find A1
tools:
  - name: lookup
    inputSchema: {{type: object, properties: {{sku: {{type: string}}}}}}
""", ctx)
    assert out["outputText"] == "I will use a tool." and out["stopReason"] == "tool_use"
    assert out["toolUses"] == [{"id": "toolu_1", "name": "lookup", "input": {"sku": "A1"}}]
    assert out["cacheReadInputTokens"] == 7
    sent = model.requests[0]
    assert sent.headers["x-api-key"] == KEY and sent.body["max_tokens"] == 1024 and sent.body["system"] == "You look things up."
    assert sent.body["tools"] == [{"name": "lookup", "input_schema": {"type": "object", "properties": {"sku": {"type": "string"}}}}]
    assert metrics(ctx) == {"usage.input.tokens": 40, "usage.output.tokens": 20, "usage.cache.read.tokens": 7}

    model.script("/v1/chat/completions", openai_text("Kestra is an orchestrator."))
    out = harness.run(f"id: p\ntype: io.kestra.plugin.perplexity.ChatCompletion\napiKey: {KEY}\nbaseUrl: {model.url}\n"
                      "model: sonar\nmessages: [{type: SYSTEM, content: Be brief.}, {type: USER, content: 'What is Kestra?'}]\n")
    assert out["outputText"] == "Kestra is an orchestrator."
    sent = model.requests[1].body
    assert sent["messages"] == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is Kestra?"}]
    assert (sent["temperature"], sent["top_p"], sent["top_k"], sent["stream"]) == (0.2, 0.9, 0, False)


def test_deepseek_json_mode_and_gemini_generate_content(harness: Harness, model: ModelServer) -> None:
    model.script("/v1/chat/completions", openai_text('{"tasks": []}'))
    out = harness.run(f"id: d\ntype: io.kestra.plugin.deepseek.ChatCompletion\napiKey: {KEY}\nbaseUrl: {model.url}\n"
                      "modelName: deepseek-chat\nmessages: [{type: USER, content: nothing to do}]\n"
                      "jsonResponseSchema: '{\"type\": \"object\"}'\n")
    assert out["response"] == '{"tasks": []}'
    sent = model.requests[0].body
    assert sent["response_format"] == {"type": "json_object"} and sent["messages"][0]["role"] == "system"
    assert sent["messages"][1] == {"role": "user", "content": "nothing to do"}

    base = model.url.replace("/v1", "/v1beta")
    path = "/v1beta/models/gemini-2.5-flash:generateContent"
    model.script(path, gemini_text('{"wind": 12, "go_sailing": true}'), gemini_text("Hi!"), gemini_text("Fine, thanks."))
    ctx = harness.context()
    out = harness.run(f"id: g\ntype: io.kestra.plugin.gemini.StructuredOutputCompletion\napiKey: {KEY}\nbaseUrl: {base}\n"
                      "model: gemini-2.5-flash\nprompt: Should I sail?\n"
                      "jsonResponseSchema: '{\"type\": \"object\", \"properties\": {\"wind\": {\"type\": \"number\"}}}'\n", ctx)
    assert out["predictions"] == ['{"wind": 12, "go_sailing": true}']
    first = model.of(path)[0]
    assert first.headers["x-goog-api-key"] == KEY
    assert first.body == {"contents": [{"role": "user", "parts": [{"text": "Should I sail?"}]}], "generationConfig": {
        "responseMimeType": "application/json", "responseJsonSchema": {"type": "object", "properties": {"wind": {"type": "number"}}}}}
    assert metrics(ctx) == {"candidate.token.count": 12, "prompt.token.count": 9, "total.token.count": 21}

    out = harness.run(f"id: c\ntype: io.kestra.plugin.gemini.ChatCompletion\napiKey: {KEY}\nbaseUrl: {base}\n"
                      "model: gemini-2.5-flash\nmessages: [{type: USER, content: Hello}, {type: USER, content: 'How are you?'}]\n")
    assert [p["content"] for p in out["predictions"]] == ["Hi!", "Fine, thanks."]
    assert [c["role"] for c in model.of(path)[2].body["contents"]] == ["user", "model", "user"]
