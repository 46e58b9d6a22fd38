"""An HTTP client for a Legato server's REST API, as the commands that talk to a remote server use it
(`legato deploy --server`, `legato mcp`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx


def api_client(url: str, token: str | None = None, *, tenant: str | None = "main",
               timeout: float = 60.0) -> httpx.Client:
    """A client whose base URL is `url`'s tenant API (`<url>/api/v1/<tenant>`), or with `tenant` None the
    instance's API (`<url>/api/v1`: `/tenants`, `/me`, which sit outside any tenant). `token` is sent as a bearer
    token (an API token), or as basic credentials when it is `user:password`."""
    auth: Any = None
    headers = {}
    if token and ":" in token:
        user, _, password = token.partition(":")
        auth = httpx.BasicAuth(user, password)
    elif token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.Client(base_url=f"{url.rstrip('/')}/api/v1" + (f"/{tenant}" if tenant else ""), auth=auth, headers=headers, timeout=timeout)


def error_message(response: httpx.Response) -> str:
    """What an API error answer says: its `message` and the `details` (path, message, line) of each problem."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:500]
    if not isinstance(body, dict):
        return str(body)[:500]
    details = "; ".join(f"{d.get('path')}: {d.get('message')}" + (f" (line {d['line']})" if d.get("line") else "")
                        for d in body.get("details") or [])
    return str(body.get("message", "")) + (f": {details}" if details else "")


def call(client: httpx.Client, method: str, path: str, error: Callable[[str], Exception], **kwargs: Any) -> httpx.Response:
    """The server's answer to `method path`; `error(message)` is raised when the server cannot be reached or
    answers an error (the message names the call, the status and what the server said)."""
    try:
        response = client.request(method, path, **kwargs)
    except httpx.HTTPError as exc:
        raise error(f"{method} {str(client.base_url).rstrip('/')}{path}: {exc}") from None
    if response.status_code >= 400:
        raise error(f"{method} {path}: HTTP {response.status_code}: {error_message(response)}")
    return response
