"""Contract: migrations build exactly the schema the code declares, and re-running them is harmless."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from legato.store.schema import metadata
from legato.store.sql import SqlStore

from .helpers import NOW


class SchemaContract:
    def test_migrated_schema_matches_the_metadata(self, store: SqlStore) -> None:
        with store.database.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []

    def test_migrate_is_idempotent_and_keeps_data(self, store: SqlStore) -> None:
        store.save_flow("ns", "f", "v1", disabled=False, now=NOW)
        store.migrate()
        store.migrate()
        assert store.get_flow("ns", "f").source == "v1"  # type: ignore[union-attr]
        with store.database.engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) >= set(metadata.tables)

    def test_schema_at_head_until_the_recorded_revision_falls_behind(self, store: SqlStore) -> None:
        assert store.schema_at_head() is True
        with store.database.engine.begin() as conn:
            head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
            conn.execute(text("UPDATE alembic_version SET version_num = 'older'"))
        assert store.schema_at_head() is False
        with store.database.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
        assert store.schema_at_head() is True

    def test_pool_status_names_connections_in_use(self, store: SqlStore) -> None:
        before = store.pool_status()
        assert before.size > 0 and before.limit > before.size
        with store.database.engine.connect():
            assert store.pool_status().checked_out == before.checked_out + 1
