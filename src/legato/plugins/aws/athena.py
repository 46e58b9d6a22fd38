"""Kestra's Athena task (`io.kestra.plugin.aws.athena.Query`): start a query, wait for it to end, and give its
result as Kestra's JDBC tasks do (`fetchType` FETCH, FETCH_ONE, STORE: one JSON row per line in a `.ion` file,
or NONE), each value converted by its column's Athena type."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any, ClassVar

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.aws import connection
from legato.plugins.aws.connection import KESTRA, AwsTask
from legato.plugins.aws.dynamodb import FetchType
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import storage_stream as stream
from legato.plugins.runnable import Expression, render_as, render_optional_text

INTEGERS = {"tinyint", "smallint", "integer", "int", "bigint"}
FLOATS = {"float", "real", "double", "decimal"}
POLL = 0.5


def _value(text: str | None, kind: str) -> Any:
    if text is None:
        return None
    kind = kind.lower().split("(")[0]
    try:
        if kind in INTEGERS:
            return int(text)
        if kind in FLOATS:
            return float(text)
    except ValueError:
        return text
    if kind == "boolean":
        return text.lower() == "true"
    if kind in ("json", "array", "map", "row"):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


@TASKS.register
class Query(AwsTask):
    """Run an Athena query and wait for its result. Outputs `queryExecutionId`, and `rows`/`row`/`uri` with `size`
    by `fetchType`."""

    TYPE: ClassVar[str] = "aws.athena.Query"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{KESTRA}.athena.Query",)
    EXAMPLES: ClassVar[tuple[str, ...]] = ("""\
id: query
type: io.kestra.plugin.aws.athena.Query
accessKeyId: "{{ secret('AWS_ACCESS_KEY_ID') }}"
secretKeyId: "{{ secret('AWS_SECRET_KEY_ID') }}"
region: eu-central-1
database: my_database
outputLocation: s3://some-s3-bucket/query-results/
query: SELECT current_date AS today
fetchType: FETCH_ONE
""",)

    catalog: str | None = Field(default=None, description="The data catalog (rendered); Athena's default (AwsDataCatalog) when unset.")
    database: str = Field(description="The database (rendered).")
    outputLocation: str = Field(description="The S3 folder Athena writes the result to, s3://bucket/prefix/ (rendered).")
    query: str = Field(description="The SQL query (rendered).")
    fetchType: FetchType | Expression = Field(default="STORE", description="FETCH (rows), FETCH_ONE (row), STORE (uri: one JSON row per line) or NONE.")
    skipHeader: bool | Expression = Field(default=True, description="Skip the first row of the result, the column names Athena returns for a SELECT.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        mode = str(render_as(ctx, self.fetchType, FetchType, "fetchType"))
        skip = bool(render_as(ctx, self.skipHeader, bool, "skipHeader"))
        context = {"Database": ctx.render_string(self.database)}
        catalog = render_optional_text(ctx, self.catalog)
        if catalog:
            context["Catalog"] = catalog
        client = await asyncio.to_thread(connection.client, self, ctx.render, "athena")
        sql, location = ctx.render_string(self.query), ctx.render_string(self.outputLocation)
        try:
            started = await asyncio.to_thread(client.start_query_execution, QueryString=sql, QueryExecutionContext=context,
                                              ResultConfiguration={"OutputLocation": location})
        except Exception as exc:
            raise connection.failure(exc, "cannot start the Athena query") from None
        query_id = started["QueryExecutionId"]
        ctx.logger.info(f"Athena query {query_id} started")
        await self._wait(ctx, client, query_id)
        outputs = await asyncio.to_thread(self._result, ctx, client, query_id, mode, skip)
        return {"queryExecutionId": query_id, **outputs}

    async def _wait(self, ctx: RunContext, client: Any, query_id: str) -> None:
        while True:
            answer = await asyncio.to_thread(client.get_query_execution, QueryExecutionId=query_id)
            status = answer["QueryExecution"]["Status"]
            state = status["State"]
            if state == "SUCCEEDED":
                stats = answer["QueryExecution"].get("Statistics", {})
                ctx.logger.info(f"Athena query {query_id} succeeded ({stats.get('DataScannedInBytes', 0)} bytes scanned)")
                return
            if state in ("FAILED", "CANCELLED"):
                raise TaskFailed(f"Athena query {query_id} {state}: {status.get('StateChangeReason', 'no reason given')}")
            await ctx.sleep(POLL)

    def _rows(self, client: Any, query_id: str, skip: bool) -> Iterator[dict[str, Any]]:
        columns: list[tuple[str, str]] | None = None
        first = True
        for page in client.get_paginator("get_query_results").paginate(QueryExecutionId=query_id):
            if columns is None:
                info = page["ResultSet"].get("ResultSetMetadata", {}).get("ColumnInfo", [])
                columns = [(c["Name"], c.get("Type", "varchar")) for c in info]
            for row in page["ResultSet"].get("Rows", []):
                if first and skip:
                    first = False
                    continue
                first = False
                cells = [d.get("VarCharValue") for d in row.get("Data", [])]
                yield {name: _value(cell, kind) for (name, kind), cell in zip(columns, cells, strict=False)}

    def _result(self, ctx: RunContext, client: Any, query_id: str, mode: str, skip: bool) -> dict[str, Any]:
        rows = self._rows(client, query_id, skip)
        match mode:
            case "FETCH":
                fetched = list(rows)
                return {"rows": fetched, "size": len(fetched)}
            case "FETCH_ONE":
                row = next(rows, None)
                return {"row": row, "size": 0 if row is None else 1}
            case "STORE":
                with stream.Output(ctx, "result.ion") as out:
                    size = 0
                    for row in rows:
                        out.write(json.dumps(row, ensure_ascii=False).encode() + b"\n")
                        size += 1
                    return {"uri": out.save(), "size": size}
            case _:
                return {}
