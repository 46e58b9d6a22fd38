"""`Query`: one call of a model's method through Odoo's external API (`/xmlrpc/2/common` to authenticate, then
`execute_kw` on `/xmlrpc/2/object`): SEARCH_READ, READ, SEARCH, SEARCH_COUNT, CREATE, WRITE, UNLINK.

Outputs as Kestra's: `size` (records returned or affected), and by `fetchType` (NONE by default) `rows` (FETCH),
`row` (FETCH_ONE, the first) or `uri` (STORE, an ION file); SEARCH gives ids as rows `{id}`; CREATE, WRITE and UNLINK
give `ids`, the records created or changed."""

from __future__ import annotations

import xmlrpc.client
from typing import Any, ClassVar, Literal

import httpx
from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import httpclient
from legato.plugins.core import storage_stream as stream
from legato.plugins.runnable import Expression, RunnableTask, render_as, render_optional, render_text
from legato.storage import ion

Operation = Literal["SEARCH_READ", "READ", "CREATE", "WRITE", "UNLINK", "SEARCH", "SEARCH_COUNT"]
FetchType = Literal["FETCH", "FETCH_ONE", "STORE", "NONE"]
_METHOD = {"SEARCH_READ": "search_read", "READ": "read", "CREATE": "create", "WRITE": "write", "UNLINK": "unlink",
           "SEARCH": "search", "SEARCH_COUNT": "search_count"}
_NEEDS_IDS = ("READ", "WRITE", "UNLINK")
_MOST_BYTES = 256 * 1024 * 1024  # an answer is parsed in memory


class XmlRpc:
    """XML-RPC calls to one Odoo server (the standard library marshals, httpx sends through the SSRF guard)."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    async def call(self, endpoint: str, method: str, *params: Any) -> Any:
        body = xmlrpc.client.dumps(params, method, allow_none=True).encode()
        async with httpclient.client(timeout=httpx.Timeout(120.0, connect=30.0),
                                     headers={"Content-Type": "text/xml"}) as http:
            try:
                response = await http.post(f"{self.url}/xmlrpc/2/{endpoint}", content=body)
            except httpx.HTTPError as exc:
                raise TaskFailed(f"Odoo at {self.url} could not be reached: {exc}") from None
        if response.status_code != 200:
            raise TaskFailed(f"Odoo: {method} answered HTTP {response.status_code}: {response.text[:300]}")
        if len(response.content) > _MOST_BYTES:
            raise TaskFailed(f"Odoo: {method} answered {len(response.content):,} bytes, more than {_MOST_BYTES:,}: "
                             "narrow the query (filters, fields, limit)")
        try:  # expat (2.4+) refuses entity expansion attacks; XML-RPC resolves no external entity
            (result,), _ = xmlrpc.client.loads(response.content)
        except xmlrpc.client.Fault as fault:
            message = str(fault.faultString).strip().splitlines()[-1] if fault.faultString else fault.faultCode
            raise TaskFailed(f"Odoo: {method} failed: {message}") from None
        return result


@TASKS.register
class Query(RunnableTask):
    """Call a model's method (`operation`) with its `filters` (an Odoo domain), `fields`, `values`, `ids`, `limit`
    and `offset` as that method takes them."""

    TYPE: ClassVar[str] = "io.kestra.plugin.odoo.Query"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: companies
type: io.kestra.plugin.odoo.Query
url: https://mycompany.odoo.com
db: mycompany
username: "{{ secret('ODOO_USERNAME') }}"
password: "{{ secret('ODOO_PASSWORD') }}"
model: res.partner
operation: SEARCH_READ
filters:
  - ["is_company", "=", true]
fields: [name, email]
limit: 10
fetchType: FETCH
""",
    )

    url: str = Field(description="The Odoo server's URL (rendered).")
    db: str = Field(description="The database (rendered).")
    username: str = Field(description="The user's login (rendered).")
    password: str = Field(description="Their password or API key (use a secret).")
    model: str = Field(description="The model, e.g. res.partner (rendered).")
    operation: Operation | Expression = Field(description="SEARCH_READ, READ, CREATE, WRITE, UNLINK, SEARCH or SEARCH_COUNT.")
    filters: list[Any] | Expression | None = Field(default=None, description="The domain: a list of [field, operator, value] conditions (and '&', '|', '!').")
    fields: list[str] | Expression | None = Field(default=None, description="Fields returned by READ and SEARCH_READ (all when unset).")
    values: dict[str, Any] | Expression | None = Field(default=None, description="The record's fields, for CREATE and WRITE.")
    ids: list[int | str] | Expression | None = Field(default=None, description="The records of READ, WRITE and UNLINK (ids, or expressions giving them).")
    limit: int | Expression | None = Field(default=None, description="Most records a search returns.")
    offset: int | Expression | None = Field(default=None, description="Records a search skips first.")
    fetchType: FetchType | Expression = Field(default="NONE", description="FETCH: `rows`; FETCH_ONE: `row`; STORE: an ION file `uri`; NONE: only `size`.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        operation = render_as(ctx, self.operation, Operation, "operation")
        fetch = render_as(ctx, self.fetchType, FetchType, "fetchType")
        ids = render_optional(ctx, self.ids, list[int], "ids")
        values = render_optional(ctx, self.values, dict[str, Any], "values")
        if operation in _NEEDS_IDS and not ids:
            raise TaskFailed(f"operation {operation} needs `ids`")
        if operation in ("CREATE", "WRITE") and values is None:
            raise TaskFailed(f"operation {operation} needs `values`")
        domain = render_optional(ctx, self.filters, list[Any], "filters") or []
        options = {k: v for k, v in {"fields": render_optional(ctx, self.fields, list[str], "fields"),
                                     "limit": render_optional(ctx, self.limit, int, "limit"),
                                     "offset": render_optional(ctx, self.offset, int, "offset")}.items() if v is not None}
        args: list[Any] = {"SEARCH_READ": [domain], "SEARCH": [domain], "SEARCH_COUNT": [domain], "READ": [ids],
                           "CREATE": [values], "WRITE": [ids, values], "UNLINK": [ids]}[operation]
        kwargs = {k: v for k, v in options.items()
                  if (k == "fields" and operation in ("READ", "SEARCH_READ")) or (k != "fields" and operation in ("SEARCH_READ", "SEARCH"))}

        rpc, db, password = XmlRpc(render_text(ctx, self.url)), render_text(ctx, self.db), render_text(ctx, self.password)
        uid = await rpc.call("common", "authenticate", db, render_text(ctx, self.username), password, {})
        if not uid:
            raise TaskFailed(f"Odoo: authentication of {render_text(ctx, self.username)!r} on database {db!r} failed")
        result = await rpc.call("object", "execute_kw", db, uid, password, render_text(ctx, self.model),
                                _METHOD[operation], args, kwargs)
        ctx.logger.info(f"Odoo {_METHOD[operation]} on {render_text(ctx, self.model)} done")
        return self._outputs(ctx, operation, fetch, result, ids or [])

    @staticmethod
    def _outputs(ctx: RunContext, operation: str, fetch: str, result: Any, ids: list[int]) -> dict[str, Any]:
        if operation == "SEARCH_COUNT":
            return {"size": int(result)}
        if operation == "CREATE":
            return {"size": 1, "ids": [result]}
        if operation in ("WRITE", "UNLINK"):
            return {"size": len(ids), "ids": ids}
        rows = [{"id": i} for i in result] if operation == "SEARCH" else list(result)
        match fetch:
            case "FETCH":
                return {"size": len(rows), "rows": rows}
            case "FETCH_ONE":
                return {"size": min(len(rows), 1), "row": rows[0] if rows else None}
            case "STORE":
                with stream.Output(ctx, "rows.ion") as out:
                    for row in rows:
                        out.write((ion.dumps(row) + "\n").encode())
                    return {"size": len(rows), "uri": out.save()}
        return {"size": len(rows)}
