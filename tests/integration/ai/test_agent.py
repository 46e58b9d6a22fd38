"""The agent loop end to end against the model APIs' test double: the model asks for a tool, Legato runs it (a
Legato task, or a new execution of a Legato flow), sends the result back, and the model's final answer becomes
the output; token usage is recorded as the task's metrics. OpenAI's and Anthropic's wire formats both."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.integration.ai.conftest import Harness
from tests.integration.ai.model_server import (
    KEY,
    ModelServer,
    anthropic_text,
    anthropic_tool_use,
    openai_text,
    openai_tool_call,
)

from legato.plugins.context import TaskFailed


def provider(model: ModelServer, kind: str = "OpenAI") -> str:
    return (f"provider:\n  type: io.kestra.plugin.ai.provider.{kind}\n  apiKey: \"{{{{ secrets.OPENAI_API_KEY }}}}\"\n"
            f"  modelName: test-model\n  baseUrl: {model.url}\n")


def metrics(ctx: Any) -> dict[str, float]:
    out: dict[str, float] = {}
    for m in ctx.effects.extra.get("metrics", []):
        out[m["name"]] = out.get(m["name"], 0) + m["value"]
    return out


AGENT_WITH_LOG_TOOL = """\
id: agent
type: io.kestra.plugin.ai.agent.AIAgent
systemMessage: You run the tools you are given.
prompt: "Log the following message: 'Hello {{ inputs.who }}!'"
tools:
  - type: io.kestra.plugin.ai.tool.KestraTask
    tasks:
      - id: log
        type: io.kestra.plugin.core.log.Log
        message: "..."
      - id: upper
        type: io.kestra.plugin.core.debug.Return
        format: "..."
"""


def test_openai_agent_calls_a_legato_task_then_answers(harness: Harness, model: ModelServer) -> None:
    model.script("/v1/chat/completions",
                 openai_tool_call("kestra_task_upper", {"format": "HELLO WORLD!"}, prompt_tokens=30, completion_tokens=5),
                 openai_text("I returned HELLO WORLD!", prompt_tokens=50, completion_tokens=8))
    ctx = harness.context(inputs={"who": "World"}, secrets={"OPENAI_API_KEY": KEY})
    out = harness.run(AGENT_WITH_LOG_TOOL + provider(model), ctx)

    assert out["textOutput"] == "I returned HELLO WORLD!"
    assert out["finishReason"] == "STOP"
    assert out["tokenUsage"] == {"inputTokenCount": 80, "outputTokenCount": 13, "totalTokenCount": 93}
    [execution] = out["toolExecutions"]
    assert execution["requestName"] == "kestra_task_upper"
    assert json.loads(execution["result"]) == {"value": "HELLO WORLD!"}
    assert out["intermediateResponses"][0]["toolExecutionRequests"][0]["name"] == "kestra_task_upper"

    first, second = model.of("/v1/chat/completions")
    assert first.headers["authorization"] == f"Bearer {KEY}"
    assert first.body["messages"] == [{"role": "system", "content": "You run the tools you are given."},
                                      {"role": "user", "content": "Log the following message: 'Hello World!'"}]
    tools = {t["function"]["name"]: t["function"] for t in first.body["tools"]}
    assert set(tools) == {"kestra_task_log", "kestra_task_upper"}
    assert tools["kestra_task_log"]["parameters"]["required"] == ["message"]  # the `...` property is the model's
    assert second.body["messages"][2]["tool_calls"][0]["function"]["name"] == "kestra_task_upper"
    assert second.body["messages"][3] == {"role": "tool", "tool_call_id": "call_1", "content": '{"value": "HELLO WORLD!"}'}

    assert metrics(ctx) == {"ai.provider.calls": 1, "ai.agent.tool.calls": 1, "input.token.count": 80,
                            "output.token.count": 13, "total.token.count": 93}
    assert KEY not in " ".join(m for _, m in harness.messages(ctx))


def test_anthropic_agent_runs_the_log_task_the_model_asks_for(harness: Harness, model: ModelServer) -> None:
    model.script("/v1/messages", anthropic_tool_use("kestra_task_log", {"message": "Hello World!"}),
                 anthropic_text("Done: the message is logged."))
    ctx = harness.context(inputs={"who": "World"}, secrets={"OPENAI_API_KEY": KEY})
    out = harness.run(AGENT_WITH_LOG_TOOL + provider(model, "Anthropic") + "  maxTokens: 512\n", ctx)

    assert out["textOutput"] == "Done: the message is logged."
    assert ("INFO", "Hello World!") in harness.messages(ctx)  # the Log task ran, in the agent's own logs
    first, second = model.of("/v1/messages")
    assert first.headers["x-api-key"] == KEY and first.body["max_tokens"] == 512
    assert first.body["system"] == "You run the tools you are given."
    assert {t["name"] for t in first.body["tools"]} == {"kestra_task_log", "kestra_task_upper"}
    assert second.body["messages"][1]["content"][1] == {"type": "tool_use", "id": "toolu_1", "name": "kestra_task_log",
                                                        "input": {"message": "Hello World!"}}
    assert second.body["messages"][2] == {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "toolu_1", "content": "Success"}]}
    assert metrics(ctx)["total.token.count"] == 40 + 20 + 25 + 12


def test_agent_starts_a_legato_flow_with_the_model_s_inputs(harness: Harness, model: ModelServer) -> None:
    harness.store.save_flow("company.ai", "restock", """\
id: restock
namespace: company.ai
description: Order more of an item
inputs:
  - id: item
    type: STRING
  - id: quantity
    type: INT
    defaults: 1
tasks:
  - id: order
    type: io.kestra.plugin.core.log.Log
    message: "{{ inputs.quantity }} x {{ inputs.item }}"
""", disabled=False, now=harness.clock())
    model.script("/v1/chat/completions",
                 openai_tool_call("kestra_flow_company_ai_restock",
                                  {"inputs": [{"id": "item", "value": "violin strings"}, {"id": "quantity", "value": 3}],
                                   "labels": [{"key": "source", "value": "agent"}]}),
                 openai_text("I ordered 3 violin strings."))
    ctx = harness.context()
    out = harness.run(f"""\
id: agent
type: io.kestra.plugin.ai.agent.AIAgent
prompt: We are out of violin strings, order three.
{provider(model).replace("{{ secrets.OPENAI_API_KEY }}", KEY)}tools:
  - type: io.kestra.plugin.ai.tool.KestraFlow
    namespace: company.ai
    flowId: restock
""", ctx)

    started = json.loads(out["toolExecutions"][0]["result"])
    execution = harness.store.get_execution(started["id"])
    assert execution is not None and (execution.namespace, execution.flow_id) == ("company.ai", "restock")
    assert execution.inputs == {"item": "violin strings", "quantity": 3}
    assert {lb.key: lb.value for lb in execution.labels}["source"] == "agent"
    [tool] = model.of("/v1/chat/completions")[0].body["tools"]
    assert tool["function"]["description"] == "Start an execution of the flow company.ai.restock: Order more of an item"
    assert tool["function"]["parameters"]["required"] == ["inputs"]  # `item` has no default


def test_agent_structured_output_and_memory_across_runs(harness: Harness, model: ModelServer) -> None:
    model.script("/v1/chat/completions", openai_text('{"city": "Vienna", "country": "Austria"}'),
                 openai_text("You asked about Vienna."))
    execution = harness.execution()
    base = f"""\
type: io.kestra.plugin.ai.agent.AIAgent
{provider(model).replace("{{ secrets.OPENAI_API_KEY }}", KEY)}memory:
  type: io.kestra.plugin.ai.memory.KestraKVStore
"""
    out = harness.run(f"""id: extract\n{base}prompt: Where was Mozart's Requiem first performed?
configuration:
  responseFormat:
    type: JSON
    jsonSchema:
      type: object
      properties: {{city: {{type: string}}, country: {{type: string}}}}
      required: [city, country]
""", harness.context(execution=execution, task_id="extract"))
    assert out["jsonOutput"] == {"city": "Vienna", "country": "Austria"} and "textOutput" not in out
    fmt = model.of("/v1/chat/completions")[0].body["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["schema"]["required"] == ["city", "country"]

    harness.run(f"id: recall\n{base}prompt: Which city did I ask about?\n",
                harness.context(execution=execution, task_id="recall"))
    remembered = model.of("/v1/chat/completions")[1].body["messages"]
    assert [m["role"] for m in remembered] == ["user", "assistant", "user"]
    assert remembered[1]["content"] == '{"city": "Vienna", "country": "Austria"}'


def test_agent_fails_clearly_on_a_bad_key_and_on_endless_tool_calls(harness: Harness, model: ModelServer) -> None:
    with pytest.raises(TaskFailed, match=r"chat/completions answered 401: Incorrect API key provided"):
        harness.run("id: a\ntype: io.kestra.plugin.ai.agent.AIAgent\nprompt: hi\n"
                    + provider(model).replace("{{ secrets.OPENAI_API_KEY }}", "sk-wrong"))
    model.script("/v1/chat/completions", *[openai_tool_call("kestra_task_upper", {"format": "x"})] * 3)
    with pytest.raises(TaskFailed, match=r"more than 2 tool calls"):
        harness.run(AGENT_WITH_LOG_TOOL + provider(model).replace("{{ secrets.OPENAI_API_KEY }}", KEY)
                    + "maxSequentialToolsInvocations: 2\n", harness.context(inputs={"who": "x"}))
