"""Triggers and flow test suites per tenant: a `tenant` column first in the keys of the trigger states, their
fires, their precondition windows, their backfills and the test suites, and first in the index of the test results
by suite, so two tenants' flows of the same namespace and id keep their own trigger state and suites. Existing rows
belong to `main` (the server default), so an upgraded install keeps every trigger's dates, lock, lease, cursor and
backfill, and every suite and its history, where they were; a previous version's inserts, which do not name the
column, land in `main` as they always did.

The dashboards' roll-up of executions (migration 0016) is kept per tenant too: `execution_days` and
`execution_day_deltas` gain the column (first in the roll-up's key), the database triggers on `executions` are
replaced by ones that carry each execution's tenant into its deltas, and the roll-up is rebuilt from the executions
(before, every tenant's executions were summed together). As in 0016 the new triggers come first, so no change
falls between the rebuild and the first delta.

Six tables change their primary keys: SQLite rebuilds them (batch mode; none of them carries database triggers);
PostgreSQL alters them in place. The scheduler's index on the next date is unchanged (it reads every tenant's
due triggers). The previous version's upserts on these tables name the old keys, so its schedulers, trigger
sources and roll-up folding fail (logged, retried) until replaced during a rolling upgrade (docs/operations.md).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from __future__ import annotations

import importlib

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# table -> its primary key after the tenant (the key of revision 0017)
KEYS: dict[str, list[str]] = {
    "triggers": ["namespace", "flow_id", "trigger_id"],
    "trigger_fires": ["namespace", "flow_id", "trigger_id", "fire_key"],
    "trigger_preconditions": ["namespace", "flow_id", "trigger_id"],
    "trigger_backfills": ["namespace", "flow_id", "trigger_id"],
    "test_suites": ["namespace", "id"],
}


def _tenant() -> sa.Column[str]:
    return sa.Column("tenant", sa.String(64), nullable=False, server_default="main")


# The roll-up's triggers (as in 0016, each delta now with its execution's tenant).
_COLUMNS = ("tenant", "day", "namespace", "flow_id", "state", "n", "ended_n", "duration_us")
_INSERT = f"INSERT INTO execution_day_deltas ({', '.join(_COLUMNS)})"
_PG_DAY = "date_trunc('day', {r}.created AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"
_PG_MICROS = "COALESCE((extract(epoch FROM {r}.ended - {r}.created) * 1000000)::bigint, 0)"
_DAY_US = 86_400_000_000  # SQLite: UtcDateTime is epoch microseconds
_ROLLED = ("created", "namespace", "flow_id", "state", "ended", "transient", "tenant")
_CHANGED = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in _ROLLED)
_NAMES = ("inserted", "deleted", "updated")


def _labelled(*exprs: str) -> str:
    return ", ".join(f"{e} AS {c}" for e, c in zip(exprs, _COLUMNS, strict=True))


def _pg_rows(r: str, sign: str) -> str:
    return _labelled(f"{r}.tenant", _PG_DAY.format(r=r), f"{r}.namespace", f"{r}.flow_id", f"{r}.state", f"{sign}1",
                     f"CASE WHEN {r}.ended IS NULL THEN 0 ELSE {sign}1 END", f"{sign}{_PG_MICROS.format(r=r)}")


def _sqlite_rows(r: str, sign: str) -> str:
    return _labelled(f"{r}.tenant", f"{r}.created / {_DAY_US} * {_DAY_US}", f"{r}.namespace", f"{r}.flow_id",
                     f"{r}.state", f"{sign}1", f"CASE WHEN {r}.ended IS NULL THEN 0 ELSE {sign}1 END",
                     f"{sign}COALESCE({r}.ended - {r}.created, 0)")


def _pg_statement(table: str, sign: str) -> str:
    return (f"{_INSERT} SELECT tenant, day, namespace, flow_id, state, sum(n), sum(ended_n), sum(duration_us) "  # noqa: S608 - constants
            f"FROM (SELECT {_pg_rows('r', sign)} FROM {table} r WHERE NOT r.transient) AS d GROUP BY 1, 2, 3, 4, 5")


_PG = [
    f"""CREATE FUNCTION legato_execution_days_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN {_pg_statement('new_rows', '')}; RETURN NULL; END $$""",
    f"""CREATE FUNCTION legato_execution_days_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN {_pg_statement('old_rows', '-')}; RETURN NULL; END $$""",
    f"""CREATE FUNCTION legato_execution_days_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT OLD.transient THEN {_INSERT} SELECT {_pg_rows('OLD', '-')}; END IF;
  IF NOT NEW.transient THEN {_INSERT} SELECT {_pg_rows('NEW', '')}; END IF;
  RETURN NULL;
END $$""",
    """CREATE TRIGGER execution_days_inserted AFTER INSERT ON executions REFERENCING NEW TABLE AS new_rows
       FOR EACH STATEMENT EXECUTE FUNCTION legato_execution_days_inserted()""",
    """CREATE TRIGGER execution_days_deleted AFTER DELETE ON executions REFERENCING OLD TABLE AS old_rows
       FOR EACH STATEMENT EXECUTE FUNCTION legato_execution_days_deleted()""",
    f"""CREATE TRIGGER execution_days_updated AFTER UPDATE ON executions FOR EACH ROW WHEN ({_CHANGED})
       EXECUTE FUNCTION legato_execution_days_updated()""",
]

_SQLITE = [
    f"""CREATE TRIGGER execution_days_inserted AFTER INSERT ON executions WHEN NOT NEW.transient
BEGIN {_INSERT} SELECT {_sqlite_rows('NEW', '')}; END""",
    f"""CREATE TRIGGER execution_days_deleted AFTER DELETE ON executions WHEN NOT OLD.transient
BEGIN {_INSERT} SELECT {_sqlite_rows('OLD', '-')}; END""",
    f"""CREATE TRIGGER execution_days_updated AFTER UPDATE OF {', '.join(_ROLLED)} ON executions
WHEN {_CHANGED.replace('IS DISTINCT FROM', 'IS NOT')}
BEGIN
  {_INSERT} SELECT {_sqlite_rows('OLD', '-')} WHERE NOT OLD.transient;
  {_INSERT} SELECT {_sqlite_rows('NEW', '')} WHERE NOT NEW.transient;
END""",
]


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _drop_rollup_triggers() -> None:
    for name in _NAMES:
        op.execute(f"DROP TRIGGER IF EXISTS execution_days_{name}" + (" ON executions" if _postgres() else ""))
        if _postgres():
            op.execute(f"DROP FUNCTION IF EXISTS legato_execution_days_{name}()")


def _rollup_per_tenant() -> None:
    postgres = _postgres()
    _drop_rollup_triggers()
    op.add_column("execution_day_deltas", _tenant())
    with op.batch_alter_table("execution_days", recreate="auto") as batch:
        batch.add_column(_tenant())
        batch.drop_constraint("pk_execution_days", type_="primary")
        batch.create_primary_key("pk_execution_days", ["tenant", "day", "namespace", "flow_id", "state"])
    for statement in _PG if postgres else _SQLITE:
        op.execute(statement)
    op.execute("DELETE FROM execution_day_deltas")
    op.execute("DELETE FROM execution_days")
    rows = _pg_rows("e", "") if postgres else _sqlite_rows("e", "")
    op.execute(f"INSERT INTO execution_days ({', '.join(_COLUMNS)}) SELECT tenant, day, namespace, flow_id, state, "  # noqa: S608 - constants
               f"sum(n), sum(ended_n), sum(duration_us) FROM (SELECT {rows} FROM executions e WHERE NOT e.transient) "
               "AS d GROUP BY 1, 2, 3, 4, 5")


def _rollup_of_all_tenants() -> None:
    """Back to 0016's roll-up: its triggers, and its tables rebuilt without the tenant."""
    _drop_rollup_triggers()
    op.drop_column("execution_day_deltas", "tenant")
    with op.batch_alter_table("execution_days", recreate="auto") as batch:
        batch.drop_constraint("pk_execution_days", type_="primary")
        batch.create_primary_key("pk_execution_days", ["day", "namespace", "flow_id", "state"])
        batch.drop_column("tenant")
    before = importlib.import_module("legato.store.migrations.versions.0016_execution_days")
    for statement in before._PG if _postgres() else before._SQLITE:
        op.execute(statement)
    op.execute("DELETE FROM execution_day_deltas")
    op.execute("DELETE FROM execution_days")
    columns = ", ".join(before._COLUMNS)
    rows = before._pg_rows("e", "") if _postgres() else before._sqlite_rows("e", "")
    op.execute(f"INSERT INTO execution_days ({columns}) SELECT day, namespace, flow_id, state, sum(n), sum(ended_n), "  # noqa: S608 - constants
               f"sum(duration_us) FROM (SELECT {rows} FROM executions e WHERE NOT e.transient) AS d GROUP BY 1, 2, 3, 4")


def upgrade() -> None:
    _rollup_per_tenant()
    for table, key in KEYS.items():
        with op.batch_alter_table(table, recreate="auto") as batch:
            batch.add_column(_tenant())
            batch.drop_constraint(f"pk_{table}", type_="primary")
            batch.create_primary_key(f"pk_{table}", ["tenant", *key])
    op.add_column("test_results", _tenant())
    op.drop_index("ix_test_results_suite", table_name="test_results")
    op.create_index("ix_test_results_suite", "test_results", ["tenant", "namespace", "suite_id", "started"])


def downgrade() -> None:
    _rollup_of_all_tenants()
    op.drop_index("ix_test_results_suite", table_name="test_results")
    op.create_index("ix_test_results_suite", "test_results", ["namespace", "suite_id", "started"])
    op.drop_column("test_results", "tenant")
    for table, key in KEYS.items():
        with op.batch_alter_table(table, recreate="auto") as batch:
            batch.drop_constraint(f"pk_{table}", type_="primary")
            batch.create_primary_key(f"pk_{table}", key)
            batch.drop_column("tenant")
