"""The readiness probe follows the schema: while the database is behind the code's newest migration (a new
version started before its migration ran) `/ready` answers 503 and `/health` stays UP; at head, `/ready` is UP."""

from __future__ import annotations

import httpx
from sqlalchemy import text
from tests.integration.api.conftest import LiveServer

from legato.store.sql import SqlStore


def test_ready_waits_for_the_schema_at_head(server: LiveServer, client: httpx.Client) -> None:
    assert client.get("/ready").json() == {"status": "UP", "database": "UP", "schema": "UP"}
    assert isinstance(server.store, SqlStore)
    database = server.store.database
    # through the store's own write transaction: the server's roles write meanwhile (SQLite: one writer at a time)
    with database.write() as tx:
        head = tx.conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        tx.conn.execute(text("UPDATE alembic_version SET version_num = 'an_older_revision'"))
    try:
        behind = client.get("/ready")
        assert behind.status_code == 503
        assert behind.json() == {"status": "DOWN", "database": "UP", "schema": "PENDING"}
        assert client.get("/health").status_code == 200  # alive, just not ready
    finally:
        with database.write() as tx:
            tx.conn.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
    assert client.get("/ready").status_code == 200
