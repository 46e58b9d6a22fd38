"""What every Fabric task shares: a Microsoft Entra ID service principal (`tenantId`, `clientId`,
`clientSecret`) exchanged for a bearer token with the OAuth 2.0 client credentials grant, one token per audience
(Fabric's REST API, OneLake's storage API, the Warehouse's SQL endpoint). Without the three properties the worker's
AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET are used, as Azure's EnvironmentCredential does (Kestra
falls back to DefaultAzureCredential).

The endpoints are Microsoft's; `authorityHost`, `apiUrl` and `oneLakeEndpoint` point them elsewhere (a proxy,
a sovereign cloud, a test double): every request goes through the SSRF guard, as the flow chooses them."""

from __future__ import annotations

import os
from typing import Any, ClassVar

from pydantic import Field

from legato.plugins.apiclient import ApiClient
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.runnable import RunnableTask, render_optional_text, render_text

AUTHORITY = "https://login.microsoftonline.com"
FABRIC_API = "https://api.fabric.microsoft.com/v1"
ONELAKE = "https://onelake.dfs.fabric.microsoft.com"
FABRIC_SCOPE = "https://api.fabric.microsoft.com/.default"
STORAGE_SCOPE = "https://storage.azure.com/.default"
SQL_SCOPE = "https://database.windows.net/.default"


class FabricTask(RunnableTask):
    """The service principal and the endpoints."""

    SERVICE: ClassVar[str] = "Microsoft Fabric"

    tenantId: str | None = Field(default=None, description="The Microsoft Entra ID tenant of the service principal.")
    clientId: str | None = Field(default=None, description="The service principal's client (application) id.")
    clientSecret: str | None = Field(default=None, description="The service principal's client secret (use a secret). With tenantId and clientId, the service principal signs in; without them, the worker's AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET.")
    authorityHost: str = Field(default=AUTHORITY, description="Legato: the Microsoft Entra ID authority that issues tokens (a sovereign cloud's, a proxy, a test double).")

    def principal(self, ctx: RunContext) -> tuple[str, str, str]:
        """Tenant, client id and secret: the task's, else the worker's AZURE_* variables."""
        given = [render_optional_text(ctx, v) for v in (self.tenantId, self.clientId, self.clientSecret)]
        if all(given):
            return given[0] or "", given[1] or "", given[2] or ""
        names = ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET")
        found = [os.environ.get(n) for n in names]
        if all(found):
            return found[0] or "", found[1] or "", found[2] or ""
        raise TaskFailed("Microsoft Fabric: no credentials: set tenantId, clientId and clientSecret (a service "
                         "principal), or AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET on the worker")

    async def token(self, ctx: RunContext, scope: str) -> str:
        """A bearer token for `scope` (the client credentials grant)."""
        tenant, client_id, secret = self.principal(ctx)
        authority = ApiClient("Microsoft Entra ID", render_text(ctx, self.authorityHost).rstrip("/"), max_retries=3)
        answer = await authority.call("POST", f"/{tenant}/oauth2/v2.0/token", form={
            "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret, "scope": scope})
        token = (answer or {}).get("access_token") if isinstance(answer, dict) else None
        if not token:
            raise TaskFailed(f"Microsoft Entra ID gave no access token for {scope}: {str(answer)[:300]}")
        return str(token)


def fail_message(answer: Any) -> str:
    """The `message` of a Fabric error body ({"errorCode", "message"}), else the body."""
    if isinstance(answer, dict):
        return str(answer.get("message") or answer.get("errorCode") or answer)
    return str(answer)
