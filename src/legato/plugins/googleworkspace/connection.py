"""What every Google Workspace task shares, as Kestra's: `serviceAccount` (a service account key's JSON text, else
the application default credentials), `scopes` and `readTimeout` (seconds); an OAuth access token google-auth
gets for them, and a JSON client of Google's REST APIs that retries 429 and 5xx answers with back-off.

LEGATO_GOOGLEWORKSPACE_ENDPOINT (the worker's environment, set by the operator) sends every call to another base
URL instead of https://sheets.googleapis.com and https://www.googleapis.com (a private endpoint, a test double)."""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any, ClassVar

from pydantic import Field

from legato.plugins.apiclient import ApiClient
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.runnable import Expression, RunnableTask, render_as

ENDPOINT = "LEGATO_GOOGLEWORKSPACE_ENDPOINT"
SHEETS_API = "https://sheets.googleapis.com"
GOOGLE_APIS = "https://www.googleapis.com"
SPREADSHEETS = "https://www.googleapis.com/auth/spreadsheets"
_RETRIED = frozenset({429, 500, 502, 503, 504})


def _token(key: str | None, scopes: list[str]) -> str:
    """An access token for the key (or the application default credentials), fetched now."""
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError, GoogleAuthError
    from google.auth.transport.requests import Request
    from google.oauth2 import service_account

    try:
        if key is not None:
            try:
                info = json.loads(key)
            except ValueError:
                raise TaskFailed("property 'serviceAccount' must be a service account key's JSON text") from None
            creds: Any = service_account.Credentials.from_service_account_info(info, scopes=scopes)  # type: ignore[no-untyped-call]
        else:
            creds, _ = google.auth.default(scopes=scopes)
        creds.refresh(Request())
    except DefaultCredentialsError as exc:
        raise TaskFailed(f"no Google credentials: set 'serviceAccount' or configure application default credentials ({exc})") from None
    except (GoogleAuthError, ValueError, KeyError) as exc:
        raise TaskFailed(f"Google credentials: {exc}") from None
    return str(creds.token)


class WorkspaceTask(RunnableTask):
    REQUIRES: ClassVar[tuple[str, ...]] = ("google.auth", "requests")
    EXTRA: ClassVar[str] = "googleworkspace"
    SCOPES: ClassVar[tuple[str, ...]] = (SPREADSHEETS,)

    serviceAccount: str | None = Field(default=None, description="The service account key, as JSON text (rendered, typically `{{ secret('GCP_SERVICE_ACCOUNT_JSON') }}`); unset: the application default credentials.")
    scopes: list[str] | Expression | None = Field(default=None, description="The OAuth scopes (default: https://www.googleapis.com/auth/spreadsheets).")
    readTimeout: int | Expression = Field(default=120, description="How long to wait for an answer, in seconds.")

    async def api(self, ctx: RunContext, base: str) -> ApiClient:
        """A client of the API at `base` (SHEETS_API or GOOGLE_APIS), authenticated."""
        scopes = render_as(ctx, self.scopes, list[str], "scopes") if self.scopes is not None else list(self.SCOPES)
        key = None if self.serviceAccount is None else ctx.render_string(self.serviceAccount).strip() or None
        token = await asyncio.to_thread(_token, key, [str(s) for s in scopes])
        timeout = float(render_as(ctx, self.readTimeout, int, "readTimeout"))
        return ApiClient("Google " + ("Sheets" if base == SHEETS_API else "Drive"), os.environ.get(ENDPOINT) or base,
                         headers={"Authorization": f"Bearer {token}"}, timeout=timeout, retry_statuses=_RETRIED,
                         max_retries=5)
