"""Kestra's `io.kestra.plugin.gcp.auth.OauthAccessToken`: an OAuth access token of the task's credentials (the
`serviceAccount` key, else Application Default Credentials; `impersonatedServiceAccount`; `scopes`), for the tasks
that call Google APIs or a registry themselves (`docker login -u oauth2accesstoken`). Output `accessToken`:
`tokenValue`, `expirationTime` and `scopes`."""

from __future__ import annotations

import asyncio
from datetime import UTC
from typing import Any, ClassVar

from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.gcp import connection
from legato.plugins.gcp.connection import KESTRA, GcpTask


@TASKS.register
class OauthAccessToken(GcpTask):
    """Get an OAuth access token of the task's Google credentials. Output `accessToken` (tokenValue,
    expirationTime, scopes)."""

    TYPE: ClassVar[str] = "gcp.auth.OauthAccessToken"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{KESTRA}.auth.OauthAccessToken",)
    REQUIRES: ClassVar[tuple[str, ...]] = ("google.auth",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: token
type: io.kestra.plugin.gcp.auth.OauthAccessToken
projectId: my-project
serviceAccount: "{{ secret('GCP_CREDS') }}"
""",
    )

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        scopes = [str(ctx.render(s)) for s in self.scopes]
        return {"accessToken": await asyncio.to_thread(self._token, ctx, scopes)}

    def _token(self, ctx: RunContext, scopes: list[str]) -> dict[str, Any]:
        import google.auth.transport.requests

        found, _ = connection.credentials(self, ctx.render)
        if not hasattr(found, "refresh") or type(found).__name__ == "AnonymousCredentials":
            raise TaskFailed("these credentials give no access token (anonymous: set serviceAccount)")
        try:
            found.refresh(google.auth.transport.requests.Request())
        except Exception as exc:
            raise TaskFailed(f"cannot get an access token: {exc}") from None
        expiry = found.expiry
        return {"tokenValue": found.token,
                "expirationTime": None if expiry is None else expiry.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z"),
                "scopes": list(getattr(found, "scopes", None) or scopes)}
