"""One document at a time, and any endpoint: Get (by index and id), Put (index or create a document) and Request
(any method and endpoint, the answer as JSON or text). Not registered here: each product registers its own
subclasses under its type names."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.elasticsearch.base import SearchTask
from legato.plugins.elasticsearch.client import body_of, path
from legato.plugins.runnable import Expression, render_as, render_bool, render_optional

OpType = Literal["INDEX", "CREATE", "UPDATE", "DELETE"]
RefreshPolicy = Literal["IMMEDIATE", "WAIT_UNTIL", "NONE"]
ContentType = Literal["CBOR", "JSON", "SMILE", "YAML"]
HttpMethod = Literal["CONNECT", "CUSTOM", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"]
_REFRESH = {"IMMEDIATE": "true", "WAIT_UNTIL": "wait_for", "NONE": "false"}
# Kestra hands the Java client's Result enum over by its constant's name
_RESULT = {"created": "Created", "updated": "Updated", "deleted": "Deleted", "not_found": "NotFound", "noop": "NoOp"}


class Get(SearchTask):
    """Read one document by index and id: `row` is its source (null when it does not exist)."""

    index: str = Field(description="The index (rendered).")
    key: str = Field(description="The document id (rendered).")
    docVersion: int | Expression | None = Field(default=None, description="Read only if the document has this version.")

    def missing(self, ctx: RunContext, index: str, key: str) -> dict[str, Any]:
        return {"row": None}

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        index, key = ctx.render_string(self.index), ctx.render_string(self.key)
        params = {"version": render_optional(ctx, self.docVersion, int, "docVersion"), **self.routed(ctx)}
        answer = await self.client(ctx).call("GET", path(index, "_doc", key), params=params, allow=(404,))
        found = answer.json() or {}
        if answer.status == 404 and "found" not in found:
            raise TaskFailed(f"{self.PRODUCT}: index {index!r}: {found.get('error', {}).get('reason', 'not found')}")
        if not found.get("found"):
            return self.missing(ctx, index, key)
        return {"row": found.get("_source")}


class GetOrFail(Get):
    errorOnMissing: bool | Expression = Field(default=False, description="Fail when the document does not exist.")

    def missing(self, ctx: RunContext, index: str, key: str) -> dict[str, Any]:
        if render_bool(ctx, self.errorOnMissing, "errorOnMissing"):
            raise TaskFailed(f"Document with key '{key}' not found in index '{index}'")
        return {"row": None}


class Put(SearchTask):
    """Index a document (a map or JSON text): `id`, `result` (Created, Updated...) and `version`."""

    index: str = Field(description="The index (rendered).")
    opType: OpType | Expression | None = Field(default=None, description="INDEX (create or replace) or CREATE (fail if the id exists).")
    key: str | None = Field(default=None, description="The document id (rendered); the cluster makes one up when unset.")
    value: dict[str, Any] | str = Field(description="The document: a map, or JSON text (rendered).")
    refreshPolicy: RefreshPolicy | Expression = Field(default="NONE", description="IMMEDIATE, WAIT_UNTIL or NONE: when the change becomes visible to searches.")
    contentType: ContentType | Expression = Field(default="JSON", description="The value's content type (JSON; kept for Kestra's flows).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        index = ctx.render_string(self.index)
        key = None if self.key is None else ctx.render_string(self.key)
        document = body_of(ctx, self.value, "value")
        if not isinstance(document, dict):
            raise TaskFailed(f"property 'value' must be a document (a map), not {type(document).__name__}")
        op = render_optional(ctx, self.opType, OpType, "opType")
        if op in ("UPDATE", "DELETE"):
            raise TaskFailed("property 'opType': only INDEX and CREATE are supported")
        refresh = _REFRESH[render_as(ctx, self.refreshPolicy, RefreshPolicy, "refreshPolicy")]
        params = {"refresh": refresh, **self.routed(ctx)}
        if key is None:
            method, endpoint = "POST", path(index, "_doc")
            if op == "CREATE":
                params["op_type"] = "create"
        else:
            method, endpoint = "PUT", path(index, "_create" if op == "CREATE" else "_doc", key)
        answer = (await self.client(ctx).call(method, endpoint, params=params, body=document)).json()
        return {"id": answer.get("_id"), "result": _RESULT.get(answer.get("result"), answer.get("result")),
                "version": answer.get("_version")}


class Request(SearchTask):
    """Call any endpoint: `status` and `response` (parsed when the answer is JSON, else text)."""

    method: HttpMethod | Expression = Field(default="GET", description="The HTTP method.")
    endpoint: str = Field(description="The path after the host and prefix, e.g. `my_index/_search` (rendered).")
    parameters: dict[str, str] | Expression | None = Field(default=None, description="Query string parameters (rendered).")
    body: dict[str, Any] | list[Any] | str | None = Field(default=None, description="The body: a map or JSON text, sent as JSON (rendered).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        method = render_as(ctx, self.method, HttpMethod, "method")
        params = render_optional(ctx, self.parameters, dict[str, Any], "parameters")
        body = None if self.body is None else body_of(ctx, self.body, "body")
        answer = await self.client(ctx).call(method, ctx.render_string(self.endpoint), params=params, body=body)
        response: Any = answer.text
        if "json" in answer.content_type and answer.text:
            response = answer.json()
        return {"status": answer.status, "response": response}
