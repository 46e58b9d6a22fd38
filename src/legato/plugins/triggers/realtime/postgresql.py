"""PostgreSQL LISTEN/NOTIFY realtime trigger, Legato's `jdbc.postgresql.ListenTrigger` (psycopg, async).

Delivery: at most once. PostgreSQL hands a notification only to the sessions listening when the notifying
transaction commits; one sent while the consumer is stopped or reconnecting is lost, and there is nothing
to acknowledge. For work that must not be lost, write it to a table and use the polling SQL trigger
(`jdbc.postgresql.Trigger`), or NOTIFY as a wake-up next to such a table.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, ClassVar

from pydantic import Field

from legato.model.task import TRIGGERS
from legato.plugins.jdbc import urls
from legato.plugins.triggers.base import Message, RealtimeSource, RealtimeTrigger, TriggerContext
from legato.plugins.triggers.realtime import serde, shared

_HEALTH_CHECK_SECONDS = 30.0  # an idle connection is probed this often, so a dead one is noticed


@TRIGGERS.register
class PostgresListenTrigger(RealtimeTrigger):
    """One execution per notification on PostgreSQL channels (`NOTIFY channel, 'payload'` or
    `pg_notify(channel, payload)`); `trigger.payload` is the payload."""

    TYPE: ClassVar[str] = "jdbc.postgresql.ListenTrigger"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "triggers:\n  - id: order_events\n    type: jdbc.postgresql.ListenTrigger\n    url: jdbc:postgresql://127.0.0.1:5432/shop\n"
        "    username: shop\n    password: \"{{ secret('SHOP_DB_PASSWORD') }}\"\n    channel: orders\n    serdeType: JSON\n",
    )

    url: str = Field(description="JDBC URL of the database (rendered), e.g. jdbc:postgresql://host:5432/db (postgresql://… works too).")
    username: str | None = Field(default=None, description="User name (rendered).")
    password: str | None = Field(default=None, description="Password (rendered).")
    channel: str | list[str] = Field(description="Channel name(s) to LISTEN on (rendered; case-sensitive, as written).")
    serdeType: serde.Serde = Field(default="STRING", description="How the payload is read: STRING (text) or JSON.")

    def source(self) -> RealtimeSource:
        return self

    async def messages(self, ctx: TriggerContext) -> AsyncIterator[Message]:
        import psycopg
        from psycopg import sql as pgsql

        text = shared.required_text(ctx, self.url, "url").strip()
        text = "jdbc:postgresql" + text.split(":", 1)[1] if text.startswith(("postgresql:", "postgres:")) else text
        try:
            target = urls.parse(text, ("postgresql",))
        except urls.JdbcUrlError as exc:
            raise ValueError(f"trigger '{self.id}': {exc}") from None
        user, password = target.credentials(shared.rendered_text(ctx, self.username), shared.rendered_text(ctx, self.password))
        credentials: dict[str, Any] = {k: v for k, v in (("user", user), ("password", password)) if v}
        channels = shared.rendered_list(ctx, self.channel)
        async with await psycopg.AsyncConnection.connect(
                host=target.host, port=target.port or 5432, dbname=target.database or user or "postgres", autocommit=True, connect_timeout=30, **credentials) as connection:
            for channel in channels:
                await connection.execute(pgsql.SQL("LISTEN {}").format(pgsql.Identifier(channel)))
            while True:
                async for notify in connection.notifies(timeout=_HEALTH_CHECK_SECONDS):
                    try:
                        payload = serde.decode(notify.payload, self.serdeType)
                    except serde.UndecodableMessage as exc:
                        await shared.drop(ctx, f"channel {notify.channel}", exc, None)
                        continue
                    yield Message({"channel": notify.channel, "payload": payload, "pid": notify.pid})
                await connection.execute("SELECT 1")  # quiet for a while: make sure the session is still there
