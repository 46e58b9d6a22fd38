"""Zero-downtime upgrades: roles of version N and N+1 run on one database while the upgrade rolls out, so each
migration only expands the schema — no table or column of the previous revision disappears or is renamed (N's
reads keep working), and every column it adds to an existing table is nullable or has a server default (N's
inserts, which do not name it, keep working). Removing something (the contract step) is a later release's
migration, once no running version uses it, listed in CONTRACTED with the reason."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import inspect

from legato.store import migrate, open_store

# (revision, "table" or "table.column") removed on purpose, after the release that stopped using it.
CONTRACTED: frozenset[tuple[str, str]] = frozenset()


def _columns(engine: object) -> dict[str, dict[str, bool]]:
    """table -> column -> whether an insert may leave it out (nullable, a server default or autoincrement)."""
    found: dict[str, dict[str, bool]] = {}
    inspector = inspect(engine)
    for table in inspector.get_table_names():
        if table == "alembic_version":
            continue
        keys = set(inspector.get_pk_constraint(table)["constrained_columns"])
        found[table] = {c["name"]: bool(c["nullable"] or c.get("default") is not None
                                        or (c["name"] in keys and len(keys) == 1 and c.get("autoincrement", True)))
                        for c in inspector.get_columns(table)}
    return found


def test_each_migration_only_expands_the_schema(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'rules.db'}")
    db = store.database
    previous: dict[str, dict[str, bool]] = {}
    problems = []
    try:
        for revision in migrate.revisions():
            with db.engine.connect() as conn:
                command.upgrade(migrate.alembic_config(conn), revision)
                conn.commit()
            current = _columns(db.engine)
            for table, columns in previous.items():
                if table not in current:
                    if (revision, table) not in CONTRACTED:
                        problems.append(f"{revision} drops table {table}")
                    continue
                for column in columns.keys() - current[table].keys():
                    if (revision, f"{table}.{column}") not in CONTRACTED:
                        problems.append(f"{revision} drops or renames {table}.{column}")
                for column in current[table].keys() - columns.keys():
                    if not current[table][column]:
                        problems.append(f"{revision} adds {table}.{column} NOT NULL without a server default: "
                                        "the previous version's inserts would fail")
            previous = current
    finally:
        store.close()
    assert problems == []
    assert len(previous) > 20  # every revision ran


def test_the_rule_catches_a_not_null_column_without_default(tmp_path: Path) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT NOT NULL, b TEXT, c TEXT NOT NULL DEFAULT '')"))
    assert _columns(engine) == {"t": {"id": True, "a": False, "b": True, "c": True}}
