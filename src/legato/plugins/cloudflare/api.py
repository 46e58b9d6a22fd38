"""What every Cloudflare task shares: the API token (a bearer token), the API's base URL, and the v4 envelope
`{success, errors, messages, result}` (a failure quotes Cloudflare's error codes and messages). Requests go through
the SSRF guard: `baseUrl` is the flow's to set."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from legato.plugins.apiclient import ApiClient
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.runnable import RunnableTask, render_text

API = "https://api.cloudflare.com/client/v4"



class CloudflareTask(RunnableTask):
    apiToken: str = Field(description="A Cloudflare API token with the permissions the task needs (use a secret).")
    baseUrl: str = Field(default=API, description="The API's base URL (a proxy, or a test double).")
    options: dict[str, Any] | None = Field(default=None, description="Kestra's HTTP client options (accepted; timeouts are 60 s).")

    async def call(self, ctx: RunContext, method: str, path: str, *, json: Any = None,
                   params: dict[str, Any] | None = None) -> Any:
        """The `result` of a v4 call; a call Cloudflare answers unsuccessful fails the task with its errors."""
        client = ApiClient("Cloudflare", render_text(ctx, self.baseUrl).rstrip("/"), max_retries=2,
                           headers={"Authorization": f"Bearer {render_text(ctx, self.apiToken)}"})
        answer = await client.call(method, path, json=json, params=params)
        if not isinstance(answer, dict) or not answer.get("success", False):
            errors = answer.get("errors") if isinstance(answer, dict) else None
            detail = "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errors or [] if isinstance(e, dict))
            raise TaskFailed(f"Cloudflare: {method} {path} was not successful: {detail or str(answer)[:300]}")
        return answer.get("result")
