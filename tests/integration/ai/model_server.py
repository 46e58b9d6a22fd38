"""A test double of the model APIs Legato's AI tasks call: a real HTTP server on 127.0.0.1 speaking OpenAI's
Chat Completions, Responses, Images and Embeddings APIs and Anthropic's Messages API, with replies scripted by
each test (text, tool calls, JSON), every request recorded.

Shapes recorded from the public API references:
- OpenAI `POST /v1/chat/completions` (Authorization: Bearer <key>): `{"id": "chatcmpl-...", "object":
  "chat.completion", "created": 1741569952, "model": "...", "choices": [{"index": 0, "message": {"role":
  "assistant", "content": "...", "tool_calls": [{"id": "call_...", "type": "function", "function": {"name": "...",
  "arguments": "<JSON text>"}}]}, "finish_reason": "stop" | "tool_calls" | "length"}], "usage": {"prompt_tokens":
  19, "completion_tokens": 10, "total_tokens": 29}}`; a tool result goes back as `{"role": "tool", "tool_call_id":
  "call_...", "content": "..."}`. A bad key: 401 `{"error": {"message": "Incorrect API key provided: ...",
  "type": "invalid_request_error", "code": "invalid_api_key"}}`.
- OpenAI `POST /v1/responses`: `{"id": "resp_...", "object": "response", "status": "completed", "output":
  [{"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "...", "annotations":
  [{"type": "url_citation", "url": "..."}]}]}], "usage": {"input_tokens": 36, "output_tokens": 87,
  "total_tokens": 123, "input_tokens_details": {"cached_tokens": 0}}}`.
- OpenAI `POST /v1/images/generations`: `{"created": 1713833628, "data": [{"b64_json": "..."}]}` (gpt-image-1), or
  `{"url": "..."}` items (dall-e models).
- OpenAI `POST /v1/embeddings`: `{"object": "list", "data": [{"object": "embedding", "index": 0, "embedding":
  [...]}], "model": "...", "usage": {"prompt_tokens": 8, "total_tokens": 8}}`. The double embeds a text as the
  counts of a small vocabulary's words (so that similar texts are close), not a real model.
- Tavily `POST /search` (Authorization: Bearer tvly-...): `{"query": "...", "results": [{"title": "...", "url": "...",
  "content": "...", "score": 0.81}], "response_time": 1.1}`.
- Gemini API `POST /v1beta/models/<model>:generateContent` (x-goog-api-key): `{"candidates": [{"content": {"role":
  "model", "parts": [{"text": "..."}]}, "finishReason": "STOP", "safetyRatings": [...]}], "usageMetadata":
  {"promptTokenCount": 9, "candidatesTokenCount": 12, "totalTokenCount": 21}}`; a bad key: 400 `{"error": {"code": 400,
  "message": "API key not valid. Please pass a valid API key.", "status": "INVALID_ARGUMENT"}}`.
- Anthropic `POST /v1/messages` (x-api-key, anthropic-version: 2023-06-01 required): `{"id": "msg_...", "type":
  "message", "role": "assistant", "model": "...", "content": [{"type": "text", "text": "..."}, {"type": "tool_use",
  "id": "toolu_...", "name": "...", "input": {...}}], "stop_reason": "end_turn" | "tool_use" | "max_tokens",
  "usage": {"input_tokens": 25, "output_tokens": 12}}`; tool results go back in a user turn as `{"type":
  "tool_result", "tool_use_id": "toolu_...", "content": "..."}`. Errors: `{"type": "error", "error": {"type":
  "authentication_error", "message": "invalid x-api-key"}}`.
"""

from __future__ import annotations

import json
import re
import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

KEY = "sk-test-0123456789"
VOCABULARY = ("legato", "kestra", "flow", "python", "orchestra", "music", "violin", "concert", "yaml", "task")


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


def embedding(text: str) -> list[float]:
    words = re.findall(r"[a-z]+", text.lower())
    return [float(words.count(w)) for w in VOCABULARY] + [0.1]


# --- reply builders ---------------------------------------------------------------------------------------


def openai_text(text: str, prompt_tokens: int = 20, completion_tokens: int = 10) -> dict[str, Any]:
    return {"id": "chatcmpl-1", "object": "chat.completion", "created": 1741569952, "model": "gpt-4o-mini",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens}}


def openai_tool_call(name: str, arguments: dict[str, Any], call_id: str = "call_1", prompt_tokens: int = 30,
                     completion_tokens: int = 5) -> dict[str, Any]:
    call = {"id": call_id, "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}
    return {"id": "chatcmpl-0", "object": "chat.completion", "created": 1741569950, "model": "gpt-4o-mini",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": None, "tool_calls": [call]},
                         "finish_reason": "tool_calls"}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens}}


def gemini_text(text: str, prompt_tokens: int = 9, candidate_tokens: int = 12) -> dict[str, Any]:
    return {"candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP",
                            "safetyRatings": [{"category": "HARM_CATEGORY_HARASSMENT", "probability": "NEGLIGIBLE"}]}],
            "usageMetadata": {"promptTokenCount": prompt_tokens, "candidatesTokenCount": candidate_tokens,
                              "totalTokenCount": prompt_tokens + candidate_tokens}}


def anthropic_text(text: str, input_tokens: int = 25, output_tokens: int = 12) -> dict[str, Any]:
    return {"id": "msg_2", "type": "message", "role": "assistant", "model": "claude-sonnet-4-0",
            "content": [{"type": "text", "text": text}], "stop_reason": "end_turn", "stop_sequence": None,
            "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens}}


def anthropic_tool_use(name: str, arguments: dict[str, Any], tool_id: str = "toolu_1") -> dict[str, Any]:
    return {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-0",
            "content": [{"type": "text", "text": "I will use a tool."},
                        {"type": "tool_use", "id": tool_id, "name": name, "input": arguments}],
            "stop_reason": "tool_use", "stop_sequence": None, "usage": {"input_tokens": 40, "output_tokens": 20}}


class ModelServer:
    """The server. `script(path, reply, ...)` queues the answers of a path, in order; embeddings are computed."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.replies: dict[str, deque[tuple[int, Any]]] = {}
        self.binary: dict[str, bytes] = {}  # GET paths serving files (image URLs, documents)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                data = server.binary.get(self.path)
                self._send(200 if data is not None else 404, data or b"not found", "application/octet-stream")

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                request = Request(self.path, headers, json.loads(raw or b"{}"))
                server.requests.append(request)
                status, reply = server.answer(request)
                self._send(status, json.dumps(reply).encode(), "application/json")

            def _send(self, status: int, body: bytes, kind: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The OpenAI-style base URL (…/v1); Anthropic's is the same."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def script(self, path: str, *replies: Any, status: int = 200) -> None:
        self.replies.setdefault(path, deque()).extend((status, r) for r in replies)

    def of(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    def answer(self, request: Request) -> tuple[int, Any]:
        if request.path == "/v1/messages":
            if request.headers.get("x-api-key") != KEY:
                return 401, {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}
            if request.headers.get("anthropic-version") != "2023-06-01":
                return 400, {"type": "error", "error": {"type": "invalid_request_error", "message": "anthropic-version header is required"}}
            if "max_tokens" not in request.body:
                return 400, {"type": "error", "error": {"type": "invalid_request_error", "message": "max_tokens: Field required"}}
        elif request.path.endswith(":generateContent"):
            if request.headers.get("x-goog-api-key") != KEY:
                return 400, {"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.",
                                       "status": "INVALID_ARGUMENT"}}
        elif request.headers.get("authorization") != f"Bearer {KEY}":
            return 401, {"error": {"message": "Incorrect API key provided: sk-w***", "type": "invalid_request_error",
                                   "code": "invalid_api_key"}}
        if request.path == "/v1/embeddings":
            texts = request.body["input"]
            texts = texts if isinstance(texts, list) else [texts]
            data = [{"object": "embedding", "index": i, "embedding": embedding(t)} for i, t in enumerate(texts)]
            tokens = sum(len(t.split()) for t in texts)
            return 200, {"object": "list", "data": data, "model": request.body["model"],
                         "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}
        queued = self.replies.get(request.path)
        if not queued:
            return 500, {"error": {"message": f"the test double has no scripted reply left for {request.path}"}}
        return queued.popleft()

    def __enter__(self) -> ModelServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
