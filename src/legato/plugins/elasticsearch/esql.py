"""ES|QL (`io.kestra.plugin.elasticsearch.Esql`): a query sent to `_query` (or `_query/async`, polled until done),
its `columns`/`values` answer turned into rows (one map per row, or per column with `columnar`), handed over by
fetchType. `params` fill the `?` placeholders client-side, each typed as Kestra does (boolean, integer, number,
else a quoted string), leaving any `?` inside a string literal or a backticked identifier alone."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from pydantic import Field

from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.elasticsearch.base import FetchType, SearchTask, hand_over
from legato.plugins.elasticsearch.client import SearchClient, body_of, counter
from legato.plugins.runnable import Expression, render_as, render_bool, render_optional

_TOKEN = re.compile(r'""".*?"""|"(?:\\.|[^"\\])*"|`[^`]*`|\?', re.DOTALL)
_NUMBER = re.compile(r"[+-]?\d+")


def literal(raw: str) -> str:
    """A parameter as an ES|QL literal."""
    if raw.lower() in ("true", "false"):
        return raw.lower()
    if _NUMBER.fullmatch(raw):
        return str(int(raw))
    try:
        return repr(float(raw))
    except ValueError:
        return _quoted(raw)


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def interpolate(query: str, params: list[str]) -> str:
    if not params:
        return query
    values = iter(params)
    used = 0

    def replace(found: re.Match[str]) -> str:
        nonlocal used
        if found.group() != "?":
            return found.group()
        value = next(values, None)
        if value is None:
            raise TaskFailed(f"the query has more `?` placeholders than the {len(params)} params")
        used += 1
        return literal(value)

    text = _TOKEN.sub(replace, query)
    if used < len(params):
        raise TaskFailed(f"{len(params)} params but the query has only {used} `?` placeholders")
    return text


def rows_of(answer: dict[str, Any], columnar: bool) -> list[dict[str, Any]]:
    names = [c.get("name") for c in answer.get("columns", [])]
    values = answer.get("values", [])
    if columnar:
        return [{name: column} for name, column in zip(names, values, strict=False)]
    return [dict(zip(names, row, strict=False)) for row in values]


class EsqlBase(SearchTask):
    """Run an ES|QL query: `rows` (FETCH, the default), `row` (FETCH_ONE) or `uri` (STORE), `size` and `total`."""

    POLL_SECONDS: ClassVar[float] = 1.0

    fetchType: FetchType | Expression = Field(default="FETCH", description="FETCH, FETCH_ONE, STORE or NONE.")
    query: str = Field(description="The ES|QL query (rendered).")
    filter: dict[str, Any] | str | None = Field(default=None, description="A query DSL filter applied before the query runs.")
    params: list[str] | Expression | None = Field(default=None, description="Values for the `?` placeholders, in order, substituted client-side.")
    columnar: bool | Expression = Field(default=False, description="Columnar answer: each row of `rows` is one column, `{name: [values]}`.")
    async_: bool | Expression = Field(default=False, alias="async", description="Run through the async endpoint and poll until the query ends.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        client = self.client(ctx)
        query = interpolate(ctx.render_string(self.query), [str(p) for p in render_optional(ctx, self.params, list[Any], "params") or []])
        columnar = render_bool(ctx, self.columnar, "columnar")
        body: dict[str, Any] = {"query": query, "columnar": columnar}
        if self.filter is not None:
            search = body_of(ctx, self.filter, "filter")
            body["filter"] = search.get("query", search) if isinstance(search, dict) else search
        if render_bool(ctx, self.async_, "async"):
            answer = await self._async(ctx, client, body)
        else:
            answer = (await client.call("POST", "/_query", params={"format": "json"}, body=body)).json()
        rows = rows_of(answer, columnar)
        mode = render_as(ctx, self.fetchType, FetchType, "fetchType")
        counter(ctx, "records", len(rows))
        counter(ctx, "requests.count", 1)
        return {**hand_over(ctx, rows, mode), "total": len(rows)}

    async def _async(self, ctx: RunContext, client: SearchClient, body: dict[str, Any]) -> dict[str, Any]:
        answer = (await client.call("POST", "/_query/async", params={"format": "json"},
                                    body={**body, "wait_for_completion_timeout": "0s", "keep_alive": "5m"})).json()
        query_id = answer.get("id")
        try:
            while answer.get("is_running"):
                if query_id is None:
                    raise TaskFailed("the ES|QL async answer is still running but has no id")
                await ctx.sleep(self.POLL_SECONDS)
                answer = (await client.call("GET", f"/_query/async/{query_id}",
                                            params={"wait_for_completion_timeout": "30s", "format": "json"})).json()
            return dict(answer)
        finally:
            if query_id is not None:
                try:
                    await client.call("DELETE", f"/_query/async/{query_id}")
                except TaskFailed as exc:
                    ctx.logger.warn(f"could not delete the async ES|QL query {query_id}: {exc}")
