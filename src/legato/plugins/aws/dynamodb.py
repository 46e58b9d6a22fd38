"""Kestra's DynamoDB tasks (`io.kestra.plugin.aws.dynamodb.*`): PutItem, GetItem, DeleteItem, Query and Scan.
Items are plain maps in flows (numbers, strings, booleans, lists, maps, null) and DynamoDB attribute values on
the wire; Query and Scan give their items as Kestra's JDBC tasks do (`fetchType` FETCH, FETCH_ONE, STORE: one
JSON row per line in a `.ion` file, or NONE)."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any, ClassVar, Literal

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.aws import connection
from legato.plugins.aws.connection import KESTRA, AwsTask
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import storage_stream as stream
from legato.plugins.runnable import Expression, render_as, render_optional

DYNAMODB = f"{KESTRA}.dynamodb"
FetchType = Literal["FETCH", "FETCH_ONE", "STORE", "NONE"]
CREDENTIALS = """accessKeyId: "{{ secret('AWS_ACCESS_KEY_ID') }}"
secretKeyId: "{{ secret('AWS_SECRET_KEY_ID') }}"
region: eu-central-1
"""


def _to_wire(value: Any) -> Any:
    """A flow value as boto3's serializer takes it (numbers as Decimal)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {str(k): _to_wire(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_wire(v) for v in value]
    return value


def _from_wire(value: Any) -> Any:
    """A deserialized attribute as a JSON-friendly value (Decimal to int or float, sets to lists)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_wire(v) for k, v in value.items()}
    if isinstance(value, list | set | frozenset | tuple):
        return [_from_wire(v) for v in (sorted(value, key=str) if isinstance(value, set | frozenset) else value)]
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "replace")
    if hasattr(value, "value") and isinstance(value.value, bytes):  # boto3's Binary
        return bytes(value.value).decode("utf-8", "replace")
    return value


def encode(item: dict[str, Any]) -> dict[str, Any]:
    from boto3.dynamodb.types import TypeSerializer

    serializer = TypeSerializer()
    return {k: serializer.serialize(_to_wire(v)) for k, v in item.items()}


def decode(item: dict[str, Any]) -> dict[str, Any]:
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return {k: _from_wire(deserializer.deserialize(v)) for k, v in item.items()}


class DynamoTask(AwsTask):
    tableName: str = Field(description="The table (rendered).")

    def dynamodb(self, ctx: RunContext) -> Any:
        return connection.client(self, ctx.render, "dynamodb")

    def _table(self, ctx: RunContext) -> str:
        return ctx.render_string(self.tableName)

    @staticmethod
    def _map(ctx: RunContext, value: Any, prop: str) -> dict[str, Any]:
        rendered = ctx.render(value)
        if isinstance(rendered, str):
            try:
                rendered = json.loads(rendered)
            except ValueError:
                raise TaskFailed(f"property '{prop}' must be a map (or a JSON object), not {rendered[:100]!r}") from None
        if not isinstance(rendered, dict):
            raise TaskFailed(f"property '{prop}' must be a map, not {type(rendered).__name__}")
        return rendered

    def _call(self, what: str, call: Any) -> Any:
        try:
            return call()
        except TaskFailed:
            raise
        except Exception as exc:
            raise connection.failure(exc, f"{what} on table {self.tableName}") from None


@TASKS.register
class PutItem(DynamoTask):
    """Put an item in a table (replacing the item with the same key)."""

    TYPE: ClassVar[str] = "aws.dynamodb.PutItem"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{DYNAMODB}.PutItem",)
    EXAMPLES: ClassVar[tuple[str, ...]] = ("id: put_item\ntype: io.kestra.plugin.aws.dynamodb.PutItem\n" + CREDENTIALS
                                           + "tableName: persons\nitem:\n  id: 1\n  firstname: John\n  lastname: Doe\n",)

    item: dict[str, Any] | str = Field(description="The item: a map, or an expression or JSON text giving one.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        table, item = self._table(ctx), self._map(ctx, self.item, "item")
        await asyncio.to_thread(lambda: self._call("cannot put the item", lambda: self.dynamodb(ctx).put_item(TableName=table, Item=encode(item))))
        return {}


@TASKS.register
class GetItem(DynamoTask):
    """Get the item of a key. Outputs `row` (the item, or null when there is none)."""

    TYPE: ClassVar[str] = "aws.dynamodb.GetItem"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{DYNAMODB}.GetItem",)
    EXAMPLES: ClassVar[tuple[str, ...]] = ("id: get_item\ntype: io.kestra.plugin.aws.dynamodb.GetItem\n" + CREDENTIALS
                                           + "tableName: persons\nkey:\n  id: 1\n",)

    key: dict[str, Any] | str = Field(description="The item's key attributes: a map, or an expression giving one.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        table, key = self._table(ctx), self._map(ctx, self.key, "key")
        answer = await asyncio.to_thread(lambda: self._call("cannot get the item", lambda: self.dynamodb(ctx).get_item(TableName=table, Key=encode(key))))
        item = answer.get("Item")
        return {"row": decode(item) if item else None}


@TASKS.register
class DeleteItem(DynamoTask):
    """Delete the item of a key."""

    TYPE: ClassVar[str] = "aws.dynamodb.DeleteItem"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{DYNAMODB}.DeleteItem",)
    EXAMPLES: ClassVar[tuple[str, ...]] = ("id: delete_item\ntype: io.kestra.plugin.aws.dynamodb.DeleteItem\n" + CREDENTIALS
                                           + "tableName: persons\nkey:\n  id: 1\n",)

    key: dict[str, Any] | str = Field(description="The item's key attributes: a map, or an expression giving one.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        table, key = self._table(ctx), self._map(ctx, self.key, "key")
        await asyncio.to_thread(lambda: self._call("cannot delete the item", lambda: self.dynamodb(ctx).delete_item(TableName=table, Key=encode(key))))
        return {}


class Fetching(DynamoTask):
    fetchType: FetchType | Expression = Field(default="STORE", description="FETCH (rows), FETCH_ONE (row), STORE (uri: one JSON row per line) or NONE.")
    limit: int | Expression | None = Field(default=None, description="Most items read.")
    filterExpression: str | None = Field(default=None, description="Condition the items returned must meet, e.g. `lastname = :lastname`.")
    expressionAttributeValues: dict[str, Any] | str | None = Field(
        default=None, description="The values of the `:name` placeholders of the expressions.")

    def request(self, ctx: RunContext) -> dict[str, Any]:
        request: dict[str, Any] = {"TableName": self._table(ctx)}
        if self.filterExpression is not None:
            request["FilterExpression"] = ctx.render_string(self.filterExpression)
        if self.expressionAttributeValues is not None:
            request["ExpressionAttributeValues"] = encode(self._map(ctx, self.expressionAttributeValues, "expressionAttributeValues"))
        return request

    async def fetch(self, ctx: RunContext, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        mode = str(render_as(ctx, self.fetchType, FetchType, "fetchType"))
        limit = render_optional(ctx, self.limit, int, "limit")
        return await asyncio.to_thread(self._fetch, ctx, operation, request, mode, limit)

    def _items(self, ctx: RunContext, operation: str, request: dict[str, Any], limit: int | None) -> Any:
        client = self.dynamodb(ctx)
        paginator = client.get_paginator(operation)
        count = 0
        config = {"MaxItems": limit} if limit is not None else {}
        for page in self._call(f"cannot {operation}", lambda: list(paginator.paginate(**request, PaginationConfig=config))):
            for item in page.get("Items", ()):
                count += 1
                yield decode(item)
                if limit is not None and count >= limit:
                    return

    def _fetch(self, ctx: RunContext, operation: str, request: dict[str, Any], mode: str, limit: int | None) -> dict[str, Any]:
        items = self._items(ctx, operation, request, limit)
        match mode:
            case "FETCH":
                rows = list(items)
                return {"rows": rows, "size": len(rows)}
            case "FETCH_ONE":
                row = next(iter(items), None)
                return {"row": row, "size": 0 if row is None else 1}
            case "STORE":
                with stream.Output(ctx, "rows.ion") as out:
                    size = 0
                    for item in items:
                        out.write(json.dumps(item, ensure_ascii=False, default=str).encode() + b"\n")
                        size += 1
                    return {"uri": out.save(), "size": size}
            case _:
                for _ in items:
                    pass
                return {}


@TASKS.register
class Query(Fetching):
    """Query a table (or index) by key condition. Outputs `rows`/`row`/`uri` and `size` by `fetchType`."""

    TYPE: ClassVar[str] = "aws.dynamodb.Query"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{DYNAMODB}.Query",)
    EXAMPLES: ClassVar[tuple[str, ...]] = ("id: query\ntype: io.kestra.plugin.aws.dynamodb.Query\n" + CREDENTIALS
                                           + "tableName: persons\nkeyConditionExpression: id = :id\nexpressionAttributeValues:\n"
                                           "  \":id\": \"1\"\nfetchType: FETCH\n",)

    keyConditionExpression: str = Field(description="The key condition, e.g. `id = :id`.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        request = {**self.request(ctx), "KeyConditionExpression": ctx.render_string(self.keyConditionExpression)}
        return await self.fetch(ctx, "query", request)


@TASKS.register
class Scan(Fetching):
    """Scan a table, optionally filtered. Outputs `rows`/`row`/`uri` and `size` by `fetchType`."""

    TYPE: ClassVar[str] = "aws.dynamodb.Scan"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{DYNAMODB}.Scan",)
    EXAMPLES: ClassVar[tuple[str, ...]] = ("id: scan\ntype: io.kestra.plugin.aws.dynamodb.Scan\n" + CREDENTIALS
                                           + "tableName: persons\nfilterExpression: lastname = :lastname\n"
                                           "expressionAttributeValues:\n  \":lastname\": Doe\nfetchType: FETCH\n",)

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        return await self.fetch(ctx, "scan", self.request(ctx))
