"""PostgreSQL LISTEN/NOTIFY source against the PostgreSQL on 127.0.0.1:5432 (at most once: no restart test)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import psycopg
import pytest
from tests.builders import log_flow
from tests.integration.triggers.realtime_support import Consumer, context, unique, values
from tests.services import pg_database

from legato.flows import parse_flow


@pytest.fixture
def database() -> Iterator[str]:
    yield from pg_database("legato_listen", migrate=False)


def trigger(body: str):  # type: ignore[no-untyped-def]
    flow = parse_flow(log_flow(namespace="tests.realtime", after=f"triggers:\n{body}"))
    return flow.triggers[0]


def test_notifications_on_each_channel_become_messages(database: str) -> None:
    channel = unique("Orders")  # mixed case: the channel name is quoted, kept as written
    jdbc = "jdbc:" + database.replace("postgresql://postgres@", "postgresql://")
    model = trigger(f"  - id: watch\n    type: jdbc.postgresql.ListenTrigger\n    url: {jdbc}\n    username: postgres\n    channel: [\"{channel}\", {channel.lower()}_b]\n    serdeType: JSON\n")

    async def main() -> None:
        consumer = Consumer(model.source(), context())
        async with await psycopg.AsyncConnection.connect(database, autocommit=True) as connection:
            for _ in range(100):  # listening on both once the consumer's session has run its last LISTEN
                row = await (await connection.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%%' AND position(%s in query) > 0",
                    (f"{channel.lower()}_b",))).fetchone()
                if row and row[0]:
                    break
                await asyncio.sleep(0.05)
            for i in range(6):
                name = channel if i % 2 == 0 else f"{channel.lower()}_b"
                await connection.execute("SELECT pg_notify(%s, %s)", (name, json.dumps({"n": i})))
        got = await consumer.wait_for(6)
        await consumer.stop()
        assert values(got, "payload") == [{"n": i} for i in range(6)]
        assert [m.variables["channel"] for m in got[:2]] == [channel, f"{channel.lower()}_b"]
        assert all(m.ack is None for m in got)

    asyncio.run(main())


def test_a_url_for_another_database_is_refused_by_property() -> None:
    model = trigger("  - id: watch\n    type: jdbc.postgresql.ListenTrigger\n    url: jdbc:mysql://127.0.0.1:3306/x\n    channel: c\n")

    async def main() -> None:
        consumer = Consumer(model.source(), context())
        with pytest.raises(ValueError, match="expected jdbc:postgresql://host:port/database"):
            await consumer.wait_for(1, timeout=5)

    asyncio.run(main())
