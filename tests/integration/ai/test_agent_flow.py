"""An agent in a real flow (executor, worker and scheduler over SQLite), its key from `secret()`: the model names a
flow to start through the KestraFlow tool, Legato starts and runs it, and the agent's task run keeps the answer
and the token usage metrics."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from tests.integration.ai.model_server import KEY, ModelServer, openai_text, openai_tool_call
from tests.integration.notifications.flows import of, run, start

from legato.model.state import State
from legato.store import open_store

RESTOCK = """\
id: restock
namespace: company.shop
inputs:
  - id: item
    type: STRING
tasks:
  - id: order
    type: io.kestra.plugin.core.log.Log
    message: "ordering {{ inputs.item }}"
"""


def assistant(url: str) -> str:
    return f"""\
id: assistant
namespace: company.shop
tasks:
  - id: agent
    type: io.kestra.plugin.ai.agent.AIAgent
    provider:
      type: io.kestra.plugin.ai.provider.OpenAI
      apiKey: "{{{{ secret('OPENAI_API_KEY') }}}}"
      modelName: gpt-4o-mini
      baseUrl: {url}
    systemMessage: You run the shop's flows.
    prompt: We are out of rosin.
    tools:
      - type: io.kestra.plugin.ai.tool.KestraFlow
  - id: report
    type: io.kestra.plugin.core.log.Log
    message: "agent said: {{{{ outputs.agent.textOutput }}}}"
"""


def test_agent_starts_a_flow_in_a_running_legato(tmp_path: Path, model: ModelServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_OPENAI_API_KEY", base64.b64encode(KEY.encode()).decode())
    model.script("/v1/chat/completions",
                 openai_tool_call("kestra_flow", {"namespace": "company.shop", "flowId": "restock",
                                                  "inputs": [{"id": "item", "value": "rosin"}]}),
                 openai_text("I started the restock flow for rosin."))
    store = open_store(f"sqlite:///{tmp_path / 'legato.db'}")
    store.migrate()
    try:
        first = start(store, [RESTOCK, assistant(model.url)], "company.shop", "assistant")
        run(store, until=lambda: len(of(store, "restock")) == 1, timeout=90)
        done = store.get_execution(first.id)
        assert done is not None and done.state == State.SUCCESS
        [restock] = of(store, "restock")
        assert restock.state == State.SUCCESS and restock.inputs == {"item": "rosin"}
        assert "ordering rosin" in [r.message for r in store.logs(restock.id)]
        assert "agent said: I started the restock flow for rosin." in [r.message for r in store.logs(first.id)]
        [agent_run] = [t for t in store.task_runs(first.id) if t.task_id == "agent"]
        counters = {m["name"]: m["value"] for m in agent_run.metrics}
        assert counters["total.token.count"] == 35 + 30 and counters["ai.agent.tool.calls"] == 1
        assert json.loads(agent_run.outputs["toolExecutions"][0]["result"])["id"] == restock.id
        assert model.requests[0].headers["authorization"] == f"Bearer {KEY}"
    finally:
        store.close()
