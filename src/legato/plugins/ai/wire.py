"""The chat and embedding calls in the two wire formats Legato speaks: OpenAI's Chat Completions (OpenAI, and
the OpenAI-compatible APIs of Mistral, Gemini, Ollama, DeepSeek, OpenRouter, vLLM, LM Studio...) and Anthropic's
Messages. Both map to the same neutral messages, tool calls and token usage, so the agent loop is written once."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from legato.plugins.ai import http
from legato.plugins.context import TaskFailed

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True)
class ToolSpec:
    """A function the model may call: its name, what it does and the JSON Schema of its arguments."""

    name: str
    description: str
    parameters: dict[str, Any]


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class Message:
    role: Role
    content: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None  # on a tool result: the call it answers

    def as_dict(self) -> dict[str, Any]:
        """The message as chat memory keeps it (JSON)."""
        out: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.tool_calls:
            out["toolCalls"] = [{"id": c.id, "name": c.name, "arguments": c.arguments} for c in self.tool_calls]
        if self.tool_call_id:
            out["toolCallId"] = self.tool_call_id
        return out

    @staticmethod
    def from_dict(data: dict[str, Any]) -> Message:
        calls = tuple(ToolCall(str(c["id"]), str(c["name"]), dict(c.get("arguments") or {}))
                      for c in data.get("toolCalls") or ())
        return Message(data["role"], str(data.get("content") or ""), calls, data.get("toolCallId"))


@dataclass
class Usage:
    input: int = 0
    output: int = 0

    @property
    def total(self) -> int:
        return self.input + self.output

    def add(self, other: Usage) -> None:
        self.input += other.input
        self.output += other.output

    def as_output(self) -> dict[str, int]:
        """Kestra's `tokenUsage` output."""
        return {"inputTokenCount": self.input, "outputTokenCount": self.output, "totalTokenCount": self.total}


@dataclass(frozen=True)
class Reply:
    id: str
    text: str
    tool_calls: tuple[ToolCall, ...]
    usage: Usage
    finish_reason: str  # Kestra's (langchain4j's) names: STOP, LENGTH, TOOL_EXECUTION, CONTENT_FILTER, OTHER
    seconds: float
    thinking: str | None = None


@dataclass(frozen=True)
class JsonFormat:
    """Structured output: the answer must be a JSON document matching `schema`."""

    schema: dict[str, Any]
    name: str = "response"
    description: str | None = None
    strict: bool = False


@dataclass(frozen=True)
class Options:
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    seed: int | None = None
    max_tokens: int | None = None
    json_format: JsonFormat | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # wire fields passed as they are (stop, penalties...)


@dataclass(frozen=True)
class Endpoint:
    """Where and how to reach a model."""

    wire: Literal["openai", "anthropic"]
    base_url: str
    model: str
    headers: dict[str, str]
    timeout: float = 120.0
    max_tokens_field: str = "max_tokens"  # OpenAI's newer models want max_completion_tokens
    guarded: bool = True  # through the SSRF guard: always, but for the operator's own copilot endpoint


async def chat(endpoint: Endpoint, messages: list[Message], tools: list[ToolSpec], options: Options) -> Reply:
    """One model turn."""
    if endpoint.wire == "anthropic":
        return await _anthropic_chat(endpoint, messages, tools, options)
    return await _openai_chat(endpoint, messages, tools, options)


async def embed(endpoint: Endpoint, texts: list[str]) -> tuple[list[list[float]], Usage]:
    """The embedding vector of each text (OpenAI's /embeddings, which the compatible APIs share)."""
    if endpoint.wire == "anthropic":
        raise TaskFailed("Anthropic has no embedding API: use another provider (OpenAI, Gemini, Mistral, Ollama...) for embeddings")
    data, _ = await http.call_json(http.join(endpoint.base_url, "embeddings"), headers=endpoint.headers,
                                   body={"model": endpoint.model, "input": texts}, timeout=endpoint.timeout, guarded=endpoint.guarded)
    rows = sorted(data.get("data") or [], key=lambda r: int(r.get("index", 0)))
    vectors = [[float(x) for x in row.get("embedding") or []] for row in rows]
    if len(vectors) != len(texts) or any(not v for v in vectors):
        raise TaskFailed(f"the embedding API answered {len(vectors)} vector(s) for {len(texts)} text(s)")
    usage = data.get("usage") or {}
    return vectors, Usage(int(usage.get("prompt_tokens") or 0), 0)


# --- OpenAI Chat Completions --------------------------------------------------------------------------------

_OPENAI_FINISH = {"stop": "STOP", "length": "LENGTH", "tool_calls": "TOOL_EXECUTION", "function_call": "TOOL_EXECUTION",
                  "content_filter": "CONTENT_FILTER"}


def openai_message(message: Message) -> dict[str, Any]:
    if message.role == "tool":
        return {"role": "tool", "tool_call_id": message.tool_call_id, "content": message.content}
    out: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        out["content"] = message.content or None
        out["tool_calls"] = [{"id": c.id, "type": "function",
                              "function": {"name": c.name, "arguments": json.dumps(c.arguments)}}
                             for c in message.tool_calls]
    return out


def openai_response_format(fmt: JsonFormat) -> dict[str, Any]:
    schema: dict[str, Any] = {"name": fmt.name, "schema": fmt.schema, "strict": fmt.strict}
    if fmt.description:
        schema["description"] = fmt.description
    return {"type": "json_schema", "json_schema": schema}


async def _openai_chat(endpoint: Endpoint, messages: list[Message], tools: list[ToolSpec], options: Options) -> Reply:
    body: dict[str, Any] = {"model": endpoint.model, "messages": [openai_message(m) for m in messages]}
    if tools:
        body["tools"] = [{"type": "function", "function": {"name": t.name, "description": t.description,
                                                           "parameters": t.parameters}} for t in tools]
    for key, value in (("temperature", options.temperature), ("top_p", options.top_p), ("seed", options.seed),
                       (endpoint.max_tokens_field, options.max_tokens)):
        if value is not None:
            body[key] = value
    if options.json_format is not None:
        body["response_format"] = openai_response_format(options.json_format)
    body.update(options.extra)
    data, seconds = await http.call_json(http.join(endpoint.base_url, "chat/completions"), headers=endpoint.headers,
                                         body=body, timeout=endpoint.timeout, guarded=endpoint.guarded)
    choices = data.get("choices") or []
    if not choices:
        raise TaskFailed(f"the model answered no choices: {json.dumps(data)[:300]}")
    message = choices[0].get("message") or {}
    calls = tuple(_openai_call(c) for c in message.get("tool_calls") or ())
    usage = data.get("usage") or {}
    return Reply(
        id=str(data.get("id") or ""), text=str(message.get("content") or ""), tool_calls=calls,
        usage=Usage(int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)),
        finish_reason=_OPENAI_FINISH.get(str(choices[0].get("finish_reason")), "OTHER"), seconds=seconds,
        thinking=message.get("reasoning_content"),
    )


def _openai_call(call: dict[str, Any]) -> ToolCall:
    function = call.get("function") or {}
    return ToolCall(str(call.get("id") or ""), str(function.get("name") or ""), parse_arguments(function.get("arguments")))


def parse_arguments(raw: Any) -> dict[str, Any]:
    """A tool call's arguments: a JSON object (sent as a string by OpenAI, as an object by Anthropic)."""
    if isinstance(raw, dict):
        return raw
    if not raw:
        return {}
    try:
        value = json.loads(str(raw))
    except ValueError:
        raise TaskFailed(f"the model called a tool with arguments that are not JSON: {str(raw)[:200]}") from None
    if not isinstance(value, dict):
        raise TaskFailed(f"the model called a tool with arguments that are not a JSON object: {str(raw)[:200]}")
    return value


# --- Anthropic Messages -------------------------------------------------------------------------------------

ANTHROPIC_VERSION = "2023-06-01"
_ANTHROPIC_FINISH = {"end_turn": "STOP", "stop_sequence": "STOP", "max_tokens": "LENGTH", "tool_use": "TOOL_EXECUTION",
                     "refusal": "CONTENT_FILTER"}


def anthropic_messages(messages: list[Message]) -> tuple[str | None, list[dict[str, Any]]]:
    """(system prompt, messages): tool results travel in a user turn, consecutive ones merged."""
    system = "\n\n".join(m.content for m in messages if m.role == "system") or None
    out: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "system":
            continue
        if message.role == "tool":
            block = {"type": "tool_result", "tool_use_id": message.tool_call_id, "content": message.content}
            if out and out[-1]["role"] == "user" and isinstance(out[-1]["content"], list):
                out[-1]["content"].append(block)
            else:
                out.append({"role": "user", "content": [block]})
        elif message.role == "assistant" and message.tool_calls:
            blocks: list[dict[str, Any]] = [{"type": "text", "text": message.content}] if message.content else []
            blocks += [{"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments} for c in message.tool_calls]
            out.append({"role": "assistant", "content": blocks})
        else:
            out.append({"role": message.role, "content": message.content})
    return system, out


async def _anthropic_chat(endpoint: Endpoint, messages: list[Message], tools: list[ToolSpec], options: Options) -> Reply:
    system, turns = anthropic_messages(messages)
    if options.json_format is not None:
        # Messages has no response_format: the schema goes into the system prompt and the answer is parsed
        rule = ("Answer with one JSON document only, no prose and no code fence, valid against this JSON Schema: "
                + json.dumps(options.json_format.schema))
        system = f"{system}\n\n{rule}" if system else rule
    body: dict[str, Any] = {"model": endpoint.model, "max_tokens": options.max_tokens or 4096, "messages": turns}
    if system:
        body["system"] = system
    if tools:
        body["tools"] = [{"name": t.name, "description": t.description, "input_schema": t.parameters} for t in tools]
    for key, value in (("temperature", options.temperature), ("top_p", options.top_p), ("top_k", options.top_k)):
        if value is not None:
            body[key] = value
    body.update(options.extra)
    headers = {"anthropic-version": ANTHROPIC_VERSION, **endpoint.headers}
    data, seconds = await http.call_json(http.join(endpoint.base_url, "messages"), headers=headers, body=body,
                                         timeout=endpoint.timeout, guarded=endpoint.guarded)
    blocks = data.get("content") or []
    text = "".join(str(b.get("text") or "") for b in blocks if b.get("type") == "text")
    thinking = "".join(str(b.get("thinking") or "") for b in blocks if b.get("type") == "thinking") or None
    calls = tuple(ToolCall(str(b.get("id")), str(b.get("name")), parse_arguments(b.get("input")))
                  for b in blocks if b.get("type") == "tool_use")
    usage = data.get("usage") or {}
    return Reply(
        id=str(data.get("id") or ""), text=text, tool_calls=calls,
        usage=Usage(int(usage.get("input_tokens") or 0), int(usage.get("output_tokens") or 0)),
        finish_reason=_ANTHROPIC_FINISH.get(str(data.get("stop_reason")), "OTHER"), seconds=seconds, thinking=thinking,
    )
