"""Contract: migrations build exactly the schema the code declares, and re-running them is harmless."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

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
