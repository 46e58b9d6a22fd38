"""ServiceNow's Table API (`/api/now/table/{table}`): read rows (`Get`, with an encoded query, fields, limit and
offset), insert one (`Post`), update one by its sys_id (`Update`, PUT) and delete one (`Delete`).

The instance is `https://<domain>.service-now.com/` as in Kestra; a `domain` with a scheme (`https://itsm.example.com`)
is used as the base URL as it is (an instance behind its own name, a proxy or a test double). Authentication is
HTTP basic with `username`/`password`, or, with `clientId` and `clientSecret` too, an OAuth bearer token from the
instance's password grant (`POST /oauth_token.do`). Every request goes through the SSRF guard."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.apiclient import ApiClient
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import storage_stream as stream
from legato.plugins.runnable import (
    Expression,
    RunnableTask,
    render_as,
    render_optional,
    render_optional_text,
    render_text,
)
from legato.storage import ion

FetchType = Literal["FETCH", "FETCH_ONE", "STORE", "NONE"]
_SERVICE = "ServiceNow"


class ServiceNowTask(RunnableTask):
    """The connection every ServiceNow task has."""

    domain: str = Field(description="The instance's name in `https://<domain>.service-now.com/` (or a base URL with its scheme).")
    username: str = Field(description="User name (basic authentication, or the OAuth password grant's).")
    password: str = Field(description="Password (use a secret).")
    clientId: str | None = Field(default=None, description="OAuth client id: with clientSecret, requests carry a bearer token from the password grant.")
    clientSecret: str | None = Field(default=None, description="OAuth client secret (use a secret).")
    headers: dict[str, str] | None = Field(default=None, description="Headers sent with every request (rendered).")
    options: dict[str, Any] | None = Field(default=None, description="Kestra's HTTP client options (accepted; timeouts are 60 s).")
    table: str = Field(description="The table's API name, e.g. `incident` (rendered).")

    def base(self, ctx: RunContext) -> str:
        domain = render_text(ctx, self.domain).strip().rstrip("/")
        return domain if "://" in domain else f"https://{domain}.service-now.com"

    async def client(self, ctx: RunContext) -> ApiClient:
        base = self.base(ctx)
        headers = {k: render_text(ctx, v) for k, v in (self.headers or {}).items()}
        user, password = render_text(ctx, self.username), render_text(ctx, self.password)
        if self.clientId is None:
            return ApiClient(_SERVICE, base, headers=headers, auth=(user, password), max_retries=1)
        if self.clientSecret is None:
            raise TaskFailed("property 'clientSecret' is required with 'clientId' (the OAuth password grant)")
        grant = {"grant_type": "password", "client_id": render_text(ctx, self.clientId),
                 "client_secret": render_text(ctx, self.clientSecret), "username": user, "password": password}
        answer = await ApiClient(_SERVICE, base, headers=headers, max_retries=1).call("POST", "/oauth_token.do", form=grant)
        token = (answer or {}).get("access_token")
        if not token:
            raise TaskFailed(f"{_SERVICE}: the OAuth password grant gave no access_token: {str(answer)[:300]}")
        return ApiClient(_SERVICE, base, headers={**headers, "Authorization": f"Bearer {token}"}, max_retries=1)

    def path(self, ctx: RunContext, sys_id: str | None = None) -> str:
        table = render_text(ctx, self.table)
        return f"/api/now/table/{table}" + (f"/{sys_id}" if sys_id else "")


@TASKS.register
class Get(ServiceNowTask):
    """Read rows of a table: `results` (FETCH, the default), the first one (FETCH_ONE), or an ION file `uri`
    (STORE); `size` counts them."""

    TYPE: ClassVar[str] = "io.kestra.plugin.servicenow.Get"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: open_incidents
type: io.kestra.plugin.servicenow.Get
domain: "{{ secret('SERVICENOW_DOMAIN') }}"
username: "{{ secret('SERVICENOW_USERNAME') }}"
password: "{{ secret('SERVICENOW_PASSWORD') }}"
table: incident
query: active=true^priority=1
fields: [number, short_description, sys_id]
limit: 50
""",
    )

    fetchType: FetchType | Expression = Field(default="FETCH", description="FETCH: `results`; FETCH_ONE: the first row only; STORE: an ION file `uri`; NONE: only `size`.")
    query: str | None = Field(default=None, description="An encoded query (`sysparm_query`), e.g. `active=true^priority=1`.")
    fields: list[str] | Expression | None = Field(default=None, description="The fields returned (`sysparm_fields`); all when unset.")
    limit: int | Expression | None = Field(default=None, description="Most rows returned (`sysparm_limit`).")
    offset: int | Expression | None = Field(default=None, description="Rows skipped first (`sysparm_offset`).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        offset = render_optional(ctx, self.offset, int, "offset")
        params: dict[str, Any] = {
            "sysparm_query": render_optional_text(ctx, self.query),
            "sysparm_fields": ",".join(render_optional(ctx, self.fields, list[str], "fields") or []) or None,
            "sysparm_limit": render_optional(ctx, self.limit, int, "limit"), "sysparm_offset": offset,
        }
        answer = await (await self.client(ctx)).call("GET", self.path(ctx), params={k: v for k, v in params.items() if v is not None})
        rows = (answer or {}).get("result")
        if not isinstance(rows, list):
            raise TaskFailed(f"{_SERVICE}: GET {self.path(ctx)} answered no `result` list: {str(answer)[:300]}")
        ctx.logger.info(f"{len(rows)} row(s) read from {render_text(ctx, self.table)}")
        match render_as(ctx, self.fetchType, FetchType, "fetchType"):
            case "FETCH_ONE":
                rows = rows[:1]
                return {"results": rows, "size": len(rows), "offset": offset}
            case "STORE":
                with stream.Output(ctx, "results.ion") as out:
                    for row in rows:
                        out.write((ion.dumps(row) + "\n").encode())
                    return {"uri": out.save(), "size": len(rows), "offset": offset}
            case "NONE":
                return {"size": len(rows), "offset": offset}
        return {"results": rows, "size": len(rows), "offset": offset}


@TASKS.register
class Post(ServiceNowTask):
    """Insert a row into a table; `result` is the row ServiceNow created (with its `sys_id`)."""

    TYPE: ClassVar[str] = "io.kestra.plugin.servicenow.Post"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: open_incident
type: io.kestra.plugin.servicenow.Post
domain: "{{ secret('SERVICENOW_DOMAIN') }}"
username: "{{ secret('SERVICENOW_USERNAME') }}"
password: "{{ secret('SERVICENOW_PASSWORD') }}"
table: incident
data:
  short_description: "Flow {{ flow.id }} failed"
  urgency: 2
""",
    )

    data: dict[str, Any] | Expression = Field(description="The row's fields (rendered), sent as JSON.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        row = render_as(ctx, self.data, dict[str, Any], "data")
        answer = await (await self.client(ctx)).call("POST", self.path(ctx), json=row)
        return {"result": (answer or {}).get("result")}


@TASKS.register
class Update(ServiceNowTask):
    """Change fields of a row (PUT by its sys_id); `result` is the row as updated."""

    TYPE: ClassVar[str] = "io.kestra.plugin.servicenow.Update"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: resolve
type: io.kestra.plugin.servicenow.Update
domain: "{{ secret('SERVICENOW_DOMAIN') }}"
username: "{{ secret('SERVICENOW_USERNAME') }}"
password: "{{ secret('SERVICENOW_PASSWORD') }}"
table: incident
sysId: "{{ outputs.open_incident.result.sys_id }}"
data:
  state: 6
""",
    )

    sysId: str = Field(description="The row's sys_id (rendered).")
    data: dict[str, Any] | Expression = Field(description="The fields to change (rendered), sent as JSON.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        row = render_as(ctx, self.data, dict[str, Any], "data")
        answer = await (await self.client(ctx)).call("PUT", self.path(ctx, render_text(ctx, self.sysId)), json=row)
        return {"result": (answer or {}).get("result")}


@TASKS.register
class Delete(ServiceNowTask):
    """Delete a row by its sys_id; `deleted` says whether it was (a row already gone fails the task, 404)."""

    TYPE: ClassVar[str] = "io.kestra.plugin.servicenow.Delete"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: remove
type: io.kestra.plugin.servicenow.Delete
domain: "{{ secret('SERVICENOW_DOMAIN') }}"
username: "{{ secret('SERVICENOW_USERNAME') }}"
password: "{{ secret('SERVICENOW_PASSWORD') }}"
table: incident
sysId: "{{ inputs.sys_id }}"
""",
    )

    sysId: str = Field(description="The row's sys_id (rendered).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        await (await self.client(ctx)).call("DELETE", self.path(ctx, render_text(ctx, self.sysId)))
        return {"deleted": True}
