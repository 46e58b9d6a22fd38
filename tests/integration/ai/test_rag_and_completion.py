"""RAG (ingest documents into the KV vector store, then answer from the closest segments) and the provider-neutral
chat completion, against the model APIs' test double; and how provider blocks validate in a flow."""

from __future__ import annotations

import pytest
from tests.integration.ai.conftest import Harness
from tests.integration.ai.model_server import KEY, ModelServer, anthropic_text, openai_text, openai_tool_call

from legato.flows import parse_flow
from legato.model.errors import FlowValidationError
from legato.plugins.context import TaskFailed


def provider(model: ModelServer, name: str = "provider", model_name: str = "text-embedding-3-small") -> str:
    return (f"{name}:\n  type: io.kestra.plugin.ai.provider.OpenAI\n  apiKey: {KEY}\n  modelName: {model_name}\n"
            f"  baseUrl: {model.url}\n")


def test_ingest_then_answer_from_the_closest_segments(harness: Harness, model: ModelServer) -> None:
    execution = harness.one_execution()
    doc = harness.context(execution=execution).storage.put(
        f"kestra:///company/team/orders/executions/{execution.id}/notes.txt",
        b"The violin concert is on Friday.\n\nThe orchestra plays Mozart.")
    out = harness.run(f"""\
id: ingest
type: io.kestra.plugin.ai.rag.IngestDocument
{provider(model)}embeddings:
  type: io.kestra.plugin.ai.embeddings.KestraKVStore
drop: true
metadata: {{corpus: handbook}}
documentSplitter:
  splitter: PARAGRAPH
  maxSegmentSizeInChars: 40
fromInternalURIs: ["{doc}"]
fromDocuments:
  - content: Legato runs Kestra flow YAML unchanged; a flow is a list of tasks.
    metadata: {{title: intro}}
""", harness.context(execution=execution))
    assert out["ingestedDocuments"] == 2
    assert out["embeddingStoreOutputs"] == {"kvName": "orders-embedding-store"}
    [embed] = model.of("/v1/embeddings")
    assert len(embed.body["input"]) == 4 and embed.body["model"] == "text-embedding-3-small"

    model.script("/v1/chat/completions", openai_text("On Friday."))
    ctx = harness.context(execution=execution)
    out = harness.run(f"""\
id: ask
type: io.kestra.plugin.ai.rag.ChatCompletion
{provider(model, "chatProvider", "gpt-4o-mini")}{provider(model, "embeddingProvider")}embeddings:
  type: io.kestra.plugin.ai.embeddings.KestraKVStore
systemMessage: Answer from the documents.
prompt: When is the violin concert?
contentRetrieverConfiguration: {{maxResults: 1}}
""", ctx)
    assert out["textOutput"] == out["completion"] == "On Friday."
    [source] = out["sources"]
    assert source["content"] == "The violin concert is on Friday."
    assert source["metadata"]["corpus"] == "handbook"
    asked = model.of("/v1/chat/completions")[0].body["messages"]
    assert asked[1]["content"] == ("When is the violin concert?\n\nAnswer using the following information:\n"
                                   "The violin concert is on Friday.")
    names = {m["name"] for m in ctx.effects.extra["metrics"]}
    assert {"ai.embedding.store.calls", "input.token.count", "total.token.count"} <= names


def test_chat_completion_with_anthropic_and_pluginDefaults(harness: Harness, model: ModelServer) -> None:
    model.script("/v1/messages", anthropic_text("Bonjour"))
    flow = parse_flow(f"""\
id: chat
namespace: company.ai
tasks:
  - id: chat
    type: io.kestra.plugin.ai.completion.ChatCompletion
    provider:
      type: io.kestra.plugin.ai.provider.Anthropic
    configuration: {{temperature: 0.2, maxToken: 100}}
    messages:
      - type: SYSTEM
        content: You translate into French.
      - type: USER
        content: Hello
pluginDefaults:
  - type: io.kestra.plugin.ai.provider.Anthropic
    values:
      apiKey: {KEY}
      modelName: claude-sonnet-4-0
      baseUrl: {model.url}
""")
    task = flow.task("chat")
    out = harness.run(task.model_dump(by_alias=True, exclude_none=True))
    assert out["textOutput"] == out["aiResponse"] == "Bonjour"
    assert out["tokenUsage"] == {"inputTokenCount": 25, "outputTokenCount": 12, "totalTokenCount": 37}
    sent = model.requests[0].body
    assert sent["model"] == "claude-sonnet-4-0" and sent["max_tokens"] == 100 and sent["temperature"] == 0.2
    assert sent["system"] == "You translate into French." and sent["messages"] == [{"role": "user", "content": "Hello"}]


def test_bad_blocks_fail_validation_where_they_are() -> None:
    with pytest.raises(FlowValidationError, match=r"tasks\[0\]\.provider\.type.*unknown provider type 'io.kestra.plugin.ai.provider.OpenAi'.*did you mean"):
        parse_flow("id: f\nnamespace: n\ntasks:\n  - id: a\n    type: io.kestra.plugin.ai.agent.AIAgent\n    prompt: hi\n"
                   "    provider: {type: io.kestra.plugin.ai.provider.OpenAi, modelName: m}\n")
    with pytest.raises(FlowValidationError, match=r"runnable tasks only"):
        parse_flow("id: f\nnamespace: n\ntasks:\n  - id: a\n    type: io.kestra.plugin.ai.agent.AIAgent\n    prompt: hi\n"
                   "    provider: {type: io.kestra.plugin.ai.provider.Ollama, endpoint: 'http://localhost:11434', modelName: m}\n"
                   "    tools:\n      - type: io.kestra.plugin.ai.tool.KestraTask\n        tasks:\n"
                   "          - {id: p, type: io.kestra.plugin.core.flow.Parallel, tasks: []}\n")


def test_last_message_must_be_user(harness: Harness, model: ModelServer) -> None:
    with pytest.raises(TaskFailed, match="the last message must be a USER message"):
        harness.run(f"id: c\ntype: io.kestra.plugin.ai.completion.ChatCompletion\n{provider(model)}"
                    "messages: [{type: USER, content: hi}, {type: AI, content: hello}]\n")


TAVILY = {"query": "q", "response_time": 1.1, "results": [
    {"title": "Legato 1.0", "url": "https://example.com/legato", "content": "Legato 1.0 adds AI agents.", "score": 0.9}]}


def test_agent_grounded_by_retrievers_and_searching_the_web_itself(harness: Harness, model: ModelServer) -> None:
    execution = harness.one_execution()
    harness.run(f"id: ingest\ntype: io.kestra.plugin.ai.rag.IngestDocument\n{provider(model)}"
                "embeddings: {type: io.kestra.plugin.ai.embeddings.KestraKVStore, kvName: docs}\n"
                "fromDocuments: [{content: The Legato orchestra rehearses on Monday.}, {content: Python tasks run in containers.}]\n",
                harness.context(execution=execution))
    search = model.url.removesuffix("/v1")
    model.script("/search", TAVILY, TAVILY)
    model.script("/v1/chat/completions", openai_tool_call("searchWeb", {"query": "legato release"}),
                 openai_text("Legato 1.0 adds AI agents; rehearsal is on Monday."))
    ctx = harness.context(execution=execution)
    flow = parse_flow(f"""\
id: f
namespace: company.team
tasks:
  - id: agent
    type: io.kestra.plugin.ai.agent.AIAgent
{_indent(provider(model, model_name="gpt-4o-mini"), 4)}    prompt: When does the Legato orchestra rehearse?
    contentRetrievers:
      - type: io.kestra.plugin.ai.retriever.EmbeddingStoreRetriever
        embeddings: {{type: io.kestra.plugin.ai.embeddings.KestraKVStore, kvName: docs}}
{_indent(provider(model, "embeddingProvider"), 8)}        maxResults: 1
      - type: io.kestra.plugin.ai.retriever.TavilyWebSearch
        maxResults: 1
    tools:
      - type: io.kestra.plugin.ai.tool.TavilyWebSearch
pluginDefaults:
  - type: io.kestra.plugin.ai.retriever.TavilyWebSearch
    values: {{apiKey: {KEY}, baseUrl: "{search}"}}
  - type: io.kestra.plugin.ai.tool.TavilyWebSearch
    values: {{apiKey: {KEY}, baseUrl: "{search}"}}
""")
    out = harness.run(flow.task("agent").model_dump(by_alias=True, exclude_none=True), ctx)
    assert out["textOutput"] == "Legato 1.0 adds AI agents; rehearsal is on Monday."
    assert [s["content"] for s in out["sources"]] == ["The Legato orchestra rehearses on Monday.", "Legato 1.0 adds AI agents."]
    first = model.of("/v1/chat/completions")[0].body["messages"][-1]["content"]
    assert first == ("When does the Legato orchestra rehearse?\n\nAnswer using the following information:\n"
                     "The Legato orchestra rehearses on Monday.\n\nLegato 1.0 adds AI agents.")
    searches = model.of("/search")
    assert searches[0].body == {"query": "When does the Legato orchestra rehearse?", "max_results": 1}
    assert searches[1].body["query"] == "legato release" and searches[1].headers["authorization"] == f"Bearer {KEY}"
    assert "Legato 1.0 adds AI agents." in out["toolExecutions"][0]["result"]


def _indent(text: str, spaces: int) -> str:
    return "".join(" " * spaces + line + "\n" for line in text.splitlines())
