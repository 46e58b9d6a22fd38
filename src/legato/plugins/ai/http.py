"""One JSON request to a model API: through the SSRF guard of `legato.plugins.core.httpclient` (a model server on
the worker's own network, an Ollama on localhost say, needs LEGATO_HTTP_ALLOWED_NETWORKS), no redirects (they
would resend the API key elsewhere), and errors that quote the API's own message but never the key."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

import httpx

from legato.plugins.context import TaskFailed
from legato.plugins.core import httpclient

_MAX_ANSWER = 64 << 20  # an image in base64 can be tens of megabytes


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    seconds: float

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


def where(url: str) -> str:
    """The URL as errors show it: no query string (some APIs take their key there)."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def join(base: str, path: str) -> str:
    """`base` (an API root such as https://api.openai.com/v1) with `path` appended."""
    parts = urllib.parse.urlsplit(base.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TaskFailed(f"the base URL must be an http:// or https:// URL, not {base[:80]!r}")
    return base.strip().rstrip("/") + "/" + path.lstrip("/")


def api_error(answer: Answer) -> str:
    """The API's own words for a failed call: OpenAI, Anthropic, Mistral and Gemini put them in `error.message`."""
    data = answer.json()
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        if isinstance(error, str):
            return error
        if data.get("message"):
            return str(data["message"])
    return answer.body.decode(errors="replace")[:300]


async def request(method: str, url: str, *, headers: dict[str, str], body: Any | None, timeout: float,
                  guarded: bool = True) -> Answer:
    """Send one request (a JSON body when `body` is not None); TaskFailed on a network error, a timeout or a
    status other than 2xx, with the API's message. `guarded=False` only for an endpoint the operator configured
    (the copilot's), never for one a flow names."""
    data = None if body is None else json.dumps(body).encode()
    sent = {"User-Agent": "legato", "Accept": "application/json", **headers}
    if data is not None:
        sent["Content-Type"] = "application/json"
    started = time.monotonic()
    try:
        reply = await asyncio.wait_for(httpclient.send(
            method, url, shown=where(url), headers=sent, content=data, seconds=httpx.Timeout(timeout),
            limit=_MAX_ANSWER, guarded=guarded), timeout + 5)
    except TimeoutError:
        raise TaskFailed(f"{method} {where(url)} timed out after {timeout:g} s") from None
    answer = Answer(reply.status, reply.body, time.monotonic() - started)
    if not 200 <= answer.status < 300:
        raise TaskFailed(f"{method} {where(url)} answered {answer.status}: {api_error(answer)}")
    return answer


async def call_json(url: str, *, headers: dict[str, str], body: Any, timeout: float,
                    guarded: bool = True) -> tuple[dict[str, Any], float]:
    """POST `body` and return the JSON object answered, with the seconds the call took."""
    answer = await request("POST", url, headers=headers, body=body, timeout=timeout, guarded=guarded)
    data = answer.json()
    if not isinstance(data, dict):
        raise TaskFailed(f"POST {where(url)} answered something that is not a JSON object: {answer.body[:200]!r}")
    return data, answer.seconds
