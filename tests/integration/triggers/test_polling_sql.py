"""SQL query triggers against real databases (SQLite file, PostgreSQL and MariaDB on 127.0.0.1): rows the
query returns start executions with the rows in trigger.*; the flow keeps its cursor in the KV store, so a
scheduler stopped and started again loses and repeats no row."""

from __future__ import annotations

import asyncio
import json
import secrets
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pymysql
import pytest
from tests.integration.triggers.polling_support import Server, all_ended, deploy_flow, executions, wait_until
from tests.services import pg_database, require

from legato.model.state import State
from legato.store.sql import SqlStore


@dataclass
class Database:
    type: str
    url: str
    insert: Callable[[list[int]], None]
    username: str | None = None


def _sqlite(tmp_path: Path) -> Iterator[Database]:
    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, name TEXT)")

    def insert(ids: list[int]) -> None:
        with sqlite3.connect(path) as conn:
            conn.executemany("INSERT INTO orders VALUES (?, ?)", [(i, f"order {i}") for i in ids])

    yield Database("io.kestra.plugin.jdbc.sqlite.Trigger", f"jdbc:sqlite:{path}", insert)


def _postgres() -> Iterator[Database]:
    for url in pg_database("legato_src_shop", migrate=False):
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, name TEXT)")

        def insert(ids: list[int], url: str = url) -> None:
            with psycopg.connect(url, autocommit=True) as conn, conn.cursor() as cur:
                cur.executemany("INSERT INTO orders VALUES (%s, %s)", [(i, f"order {i}") for i in ids])

        host_db = url.split("@", 1)[1]
        yield Database("io.kestra.plugin.jdbc.postgresql.Trigger", f"jdbc:postgresql://{host_db}", insert, "postgres")


def _mariadb() -> Iterator[Database]:
    require("mariadb")
    name = f"legato_src_{secrets.token_hex(5)}"
    admin = pymysql.connect(host="127.0.0.1", user="root", password="", autocommit=True)
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")
        cur.execute(f"CREATE TABLE {name}.orders (id INTEGER PRIMARY KEY, name TEXT)")

    def insert(ids: list[int]) -> None:
        conn = pymysql.connect(host="127.0.0.1", user="root", password="", database=name, autocommit=True)
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO orders VALUES (%s, %s)", [(i, f"order {i}") for i in ids])
        conn.close()

    try:
        yield Database("io.kestra.plugin.jdbc.mysql.Trigger", f"jdbc:mysql://127.0.0.1:3306/{name}", insert, "root")
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE {name}")
        admin.close()


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    match request.param:
        case "sqlite":
            yield from _sqlite(tmp_path)
        case "postgresql":
            yield from _postgres()
        case _:
            yield from _mariadb()


def flow(db: Database, *, fetch: str = "FETCH", sql: str | None = None) -> str:
    user = f"\n    username: {db.username}" if db.username else ""
    query = sql or "SELECT id, name FROM orders WHERE id > {{ kv('orders_cursor', errorOnMissing=false) ?? 0 }} ORDER BY id LIMIT 3"
    return f"""id: watch_sql
namespace: tests.sql
tasks:
  - id: cursor
    type: io.kestra.plugin.core.kv.Set
    key: orders_cursor
    value: "{{{{ trigger.rows[trigger.size - 1].id }}}}"
triggers:
  - id: orders
    type: {db.type}
    url: "{db.url}"{user}
    sql: "{query}"
    fetchType: {fetch}
    interval: PT0.1S
"""


def _rows(store: SqlStore) -> list[int]:
    return sorted(row["id"] for e in executions(store, "tests.sql") for row in e.trigger["rows"])  # type: ignore[index]


def test_new_rows_fire_once_each_across_a_restart(sqlite_store: SqlStore, tmp_path: Path, database: Database) -> None:
    deploy_flow(sqlite_store, flow(database))
    database.insert(list(range(1, 8)))  # 7 rows: batches of 3, 3, 1

    async def main() -> None:
        first = Server(sqlite_store, tmp_path).start()
        await wait_until(lambda: _rows(sqlite_store) == list(range(1, 8)) and all_ended(sqlite_store, "tests.sql", 3),
                         message="rows 1-7")
        await first.stop()
        database.insert(list(range(8, 12)))  # arrive while no scheduler runs
        second = Server(sqlite_store, tmp_path).start()
        await wait_until(lambda: _rows(sqlite_store) == list(range(1, 12)) and all_ended(sqlite_store, "tests.sql", 5),
                         message="rows 1-11")
        await asyncio.sleep(0.4)  # nothing new: no more executions
        await second.stop()

    asyncio.run(main())
    done = executions(sqlite_store, "tests.sql")
    assert _rows(sqlite_store) == list(range(1, 12))  # every row once
    assert {e.state for e in done} == {State.SUCCESS}
    assert sorted(e.trigger["size"] for e in done) == [1, 1, 3, 3, 3]  # type: ignore[index]
    first_batch = min(done, key=lambda e: e.trigger["rows"][0]["id"])  # type: ignore[index]
    assert first_batch.trigger["rows"] == [{"id": i, "name": f"order {i}"} for i in (1, 2, 3)]  # type: ignore[index]


def test_fetch_types(sqlite_store: SqlStore, tmp_path: Path) -> None:
    db = next(_sqlite(tmp_path))
    db.insert([1, 2])
    outputs = {}
    for fetch in ("FETCH_ONE", "STORE", "NONE"):
        source = flow(db, fetch=fetch, sql="SELECT id, name FROM orders ORDER BY id").replace("watch_sql", f"watch_{fetch.lower()}")
        deploy_flow(sqlite_store, source.replace("    value: \"{{ trigger.rows[trigger.size - 1].id }}\"", "    value: done"))

    async def main() -> None:
        server = Server(sqlite_store, tmp_path).start()
        await wait_until(lambda: len({e.flow_id for e in executions(sqlite_store, "tests.sql")}) == 3, message="3 flows fired")
        await server.stop()

    asyncio.run(main())
    for e in executions(sqlite_store, "tests.sql"):
        outputs[e.flow_id] = e.trigger
    assert outputs["watch_fetch_one"] == {"size": 1, "row": {"id": 1, "name": "order 1"}}  # as Kestra: the one row
    assert outputs["watch_none"] == {"size": 2}
    stored = outputs["watch_store"]
    assert stored is not None and stored["size"] == 2 and stored["uri"].endswith("/rows.ion")
    server = Server(sqlite_store, tmp_path)
    content = server.sources.firer.storage.get(stored["uri"]).decode()
    assert [json.loads(line) for line in content.splitlines()] == [{"id": 1, "name": "order 1"}, {"id": 2, "name": "order 2"}]


def test_large_outputs_go_to_internal_storage(sqlite_store: SqlStore, tmp_path: Path) -> None:
    db = next(_sqlite(tmp_path))
    db.insert(list(range(1, 4001)))  # ~30 bytes of JSON a row: > 64 KB of rows
    deploy_flow(sqlite_store, flow(db, sql="SELECT id, name FROM orders ORDER BY id").replace(
        "    value: \"{{ trigger.rows[trigger.size - 1].id }}\"", "    value: \"{{ trigger.uri }}\""))

    async def main() -> None:
        server = Server(sqlite_store, tmp_path).start()
        await wait_until(lambda: all_ended(sqlite_store, "tests.sql", 1), message="one execution")
        await server.stop()

    asyncio.run(main())
    # the query has no cursor: a second poll may fire again just before the server stops; check the first
    execution = min(executions(sqlite_store, "tests.sql"), key=lambda e: e.created)
    trigger = execution.trigger
    assert trigger is not None and "rows" not in trigger and trigger["size"] == 4000
    assert trigger["uris"] == {"rows": trigger["uri"]} and f"/executions/{execution.id}/trigger/orders/" in trigger["uri"]
    storage = Server(sqlite_store, tmp_path).sources.firer.storage
    rows = json.loads(storage.get(trigger["uri"]))
    assert len(rows) == 4000 and rows[-1] == {"id": 4000, "name": "order 4000"}
    assert execution.state == State.SUCCESS
