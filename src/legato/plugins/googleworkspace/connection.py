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

from legato.model.task import Frozen
from legato.plugins.apiclient import ApiClient
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.runnable import Expression, RunnableTask

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


async def open_api(base: str, key: str | None, scopes: list[str], timeout: float) -> ApiClient:
    """A client of the API at `base` (SHEETS_API or GOOGLE_APIS) with a fresh token for `key` and `scopes`."""
    token = await asyncio.to_thread(_token, key, scopes)
    # Google's API or the operator's endpoint: no address a flow chose, so the SSRF guard has nothing to check
    return ApiClient("Google " + ("Sheets" if base == SHEETS_API else "Drive"), os.environ.get(ENDPOINT) or base,
                     headers={"Authorization": f"Bearer {token}"}, timeout=timeout, retry_statuses=_RETRIED,
                     max_retries=5, guarded=False)


class WorkspaceConnection(Frozen):
    """The credential fields of the tasks and the trigger."""

    REQUIRES: ClassVar[tuple[str, ...]] = ("google.auth", "requests")
    EXTRA: ClassVar[str] = "googleworkspace"
    SCOPES: ClassVar[tuple[str, ...]] = (SPREADSHEETS,)

    serviceAccount: str | None = Field(default=None, description="The service account key, as JSON text (rendered, typically `{{ secret('GCP_SERVICE_ACCOUNT_JSON') }}`); unset: the application default credentials.")
    scopes: list[str] | Expression | None = Field(default=None, description="The OAuth scopes (default: https://www.googleapis.com/auth/spreadsheets).")
    readTimeout: int | Expression = Field(default=120, description="How long to wait for an answer, in seconds.")

    async def connect(self, render: Any, base: str) -> ApiClient:
        """A client of the API at `base`, authenticated (properties rendered with `render`)."""
        scopes = render(self.scopes) if self.scopes is not None else list(self.SCOPES)
        if not isinstance(scopes, list):
            raise TaskFailed("property 'scopes' must be a list of OAuth scopes")
        key = None if self.serviceAccount is None else str(render(self.serviceAccount)).strip() or None
        try:
            timeout = float(render(self.readTimeout))
        except (TypeError, ValueError):
            raise TaskFailed(f"property 'readTimeout': {self.readTimeout!r} is not a number of seconds") from None
        return await open_api(base, key, [str(s) for s in scopes], timeout)


class WorkspaceTask(WorkspaceConnection, RunnableTask):
    async def api(self, ctx: RunContext, base: str) -> ApiClient:
        """A client of the API at `base` (SHEETS_API or GOOGLE_APIS), authenticated."""
        return await self.connect(ctx.render, base)
