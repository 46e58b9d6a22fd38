"""What the DocumentDB tasks share: the endpoint (`host`), database, collection and basic-auth credentials, and one
call of the data API: `POST {host}/data/v1/action/{action}` with `{"database", "collection", ...}` as JSON, answered
with JSON (`documents`, `insertedId(s)`, `matchedCount`/`modifiedCount`/`upsertedId`, `deletedCount`).

`host` is the flow's to choose, so every call goes through the SSRF guard (LEGATO_HTTP_ALLOWED_NETWORKS lets an
operator allow a private network)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from legato.plugins.apiclient import ApiClient
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.runnable import Expression, RunnableTask, render_optional, render_text

PREFIX = "io.kestra.plugin.documentdb"
MAX_INSERT = 10  # documents per insertMany, as Kestra's client allows

CONNECTION = """\
host: "{{ secret('DOCUMENTDB_HOST') }}"
database: app_data
username: "{{ secret('DOCUMENTDB_USERNAME') }}"
password: "{{ secret('DOCUMENTDB_PASSWORD') }}"
"""


class DocumentDbTask(RunnableTask):
    """The endpoint, database, collection and credentials of every DocumentDB task."""

    SERVICE: ClassVar[str] = "DocumentDB"

    host: str = Field(description="The DocumentDB data API's base URL (https://...); a trailing slash is dropped before `/data/v1/action/...`.")
    database: str = Field(description="The database (rendered).")
    collection: str = Field(description="The collection of the database (rendered).")
    username: str = Field(description="The basic-auth user of the data API (use a secret).")
    password: str = Field(description="The basic-auth password of the data API (use a secret).")

    def names(self, ctx: RunContext) -> tuple[str, str]:
        return render_text(ctx, self.database), render_text(ctx, self.collection)

    async def call(self, ctx: RunContext, action: str, body: dict[str, Any]) -> dict[str, Any]:
        """One data API action; its JSON answer (TaskFailed naming the action and the server's answer otherwise)."""
        database, collection = self.names(ctx)
        client = ApiClient(self.SERVICE, render_text(ctx, self.host).rstrip("/"), max_retries=3,
                           auth=(render_text(ctx, self.username), render_text(ctx, self.password)))
        answer = await client.call("POST", f"/data/v1/action/{action}",
                                   json={"database": database, "collection": collection, **body})
        if not isinstance(answer, dict):
            raise TaskFailed(f"DocumentDB: {action} answered {str(answer)[:200]!r}, not a JSON object")
        return answer


def optional_map(ctx: RunContext, value: Any, prop: str) -> dict[str, Any] | None:
    """A map property (a map, or JSON text from an expression), rendered; None or {} when unset."""
    result: dict[str, Any] | None = render_optional(ctx, value, dict[str, Any], prop)
    return result


def count(answer: dict[str, Any], key: str) -> int:
    value = answer.get(key)
    return int(value) if isinstance(value, int | float | str) and str(value).lstrip("-").isdigit() else 0


def id_text(value: Any) -> str | None:
    """An `_id` as text: extended JSON's {"$oid": ...} gives the hex id."""
    if isinstance(value, dict) and "$oid" in value:
        return str(value["$oid"])
    return None if value is None else str(value)


MapProperty = dict[str, Any] | Expression
