"""What every MongoDB task shares: `connection.uri`, `database` and `collection`, a connected client, and
documents as Kestra reads and writes them. A filter, document or stage is a map or a string of (extended) JSON,
rendered first (`{"_id": {"$oid": "..."}}` is an ObjectId); documents read come back as flow values: ObjectId
as its hex text, dates as date-times, Decimal128 as a decimal, binary as bytes."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar

from pydantic import Field

from legato.model.task import Frozen
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.runnable import RunnableTask

PREFIX = "io.kestra.plugin.mongodb"
CONNECTION = 'connection:\n  uri: "{{ secret(\'MONGODB_URI\') }}"\ndatabase: shop\n'


class MongoDbConnection(Frozen):
    uri: str = Field(description="Connection string (rendered), e.g. mongodb://user:password@host:27017/?authSource=admin "
                                 "or mongodb+srv://... (https://www.mongodb.com/docs/manual/reference/connection-string/).")


class MongoConnected(Frozen):
    """The connection fields, shared by the tasks and the trigger."""

    REQUIRES: ClassVar[tuple[str, ...]] = ("pymongo",)
    EXTRA: ClassVar[str] = "mongodb"

    connection: MongoDbConnection = Field(description="How to reach the server.")
    database: str = Field(description="The database (rendered).")
    collection: str = Field(description="The collection (rendered).")


@contextlib.asynccontextmanager
async def collection(render: Any, conn: MongoConnected) -> AsyncIterator[Any]:
    """The rendered collection of a connected client; server and driver errors as TaskFailed."""
    from pymongo import AsyncMongoClient
    from pymongo.errors import ConfigurationError, InvalidURI, PyMongoError

    uri = str(render(conn.connection.uri)).strip()
    try:
        client: Any = AsyncMongoClient(uri, serverSelectionTimeoutMS=30_000, tz_aware=True)
    except (ConfigurationError, InvalidURI, ValueError) as exc:
        raise TaskFailed(f"property 'connection.uri': {exc}") from None
    try:
        yield client[str(render(conn.database))][str(render(conn.collection))]
    except PyMongoError as exc:
        raise TaskFailed(f"MongoDB: {exc}") from None
    finally:
        await client.close()


def document(render: Any, value: Any, prop: str) -> dict[str, Any]:
    """A map or (extended) JSON text as a BSON-ready document, rendered first; None is the empty document."""
    from bson import json_util

    if value is None:
        return {}
    rendered = render(value)
    if isinstance(rendered, dict):
        text = json.dumps(rendered, default=str)
    elif isinstance(rendered, str):
        text = rendered
    else:
        raise TaskFailed(f"property '{prop}' must be a map or JSON text, not {type(rendered).__name__}")
    try:
        found = json_util.loads(text)
    except (ValueError, TypeError) as exc:
        raise TaskFailed(f"property '{prop}' is not a valid JSON document ({exc}): {text[:200]!r}") from None
    if not isinstance(found, dict):
        raise TaskFailed(f"property '{prop}' must be a document (a map), not {type(found).__name__}")
    return found


def plain(value: Any) -> Any:
    """A value read from MongoDB as a flow value, as Kestra maps BSON: ObjectId → hex text, dates (and
    timestamps) → date-times in UTC, Decimal128 → decimal, binary → bytes; other BSON types are refused."""
    from bson import Binary, Decimal128, ObjectId, Timestamp

    match value:
        case None | bool() | int() | float() | str():
            return value
        case dict():
            return {str(k): plain(v) for k, v in value.items()}
        case list() | tuple():
            return [plain(v) for v in value]
        case ObjectId():
            return str(value)
        case datetime():
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        case Timestamp():
            return value.as_datetime()
        case Decimal128():
            return value.to_decimal()
        case Binary() | bytes():
            return bytes(value)
    raise TaskFailed(f"unsupported BSON value {type(value).__name__}: {value!r}"[:200])


def jsonable(value: Any) -> Any:
    """A flow value as task outputs hold it: date-times as ISO-8601 text, decimals as numbers, bytes as text."""
    match value:
        case dict():
            return {k: jsonable(v) for k, v in value.items()}
        case list():
            return [jsonable(v) for v in value]
        case datetime():
            return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
        case Decimal():
            return int(value) if value == value.to_integral_value() else float(value)
        case bytes():
            return value.decode("utf-8", "replace")
    return value


def counter(ctx: RunContext, name: str, value: float, database: str, collection_name: str) -> None:
    """A counter metric tagged with the database and collection, as Kestra records them."""
    ctx.effects.extra.setdefault("metrics", []).append(
        {"name": name, "type": "counter", "value": value, "tags": {"database": database, "collection": collection_name}})


class MongoTask(MongoConnected, RunnableTask):
    """Base of the MongoDB tasks."""

    def names(self, ctx: RunContext) -> tuple[str, str]:
        return ctx.render_string(self.database), ctx.render_string(self.collection)
