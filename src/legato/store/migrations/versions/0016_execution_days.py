"""The dashboards' roll-up of executions: `execution_days` (per UTC day of `created` x namespace x flow x state:
how many, how many ended, the sum of their durations in microseconds), `execution_day_deltas` (signed changes not
folded into it yet) and the database triggers that append a delta for every insert, delete and relevant update of
a non-transient execution, in the writer's own transaction. Existing executions are rolled up here.

Triggers rather than application code: every writer (the executor, purges, restores, a bulk load in SQL, an
older Legato still running during a rolling upgrade) keeps the roll-up exact without knowing about it. Deltas
rather than in-place increments: concurrent writers only insert, so no two transactions wait on one hot
roll-up row (every execution of a flow ending the same day) and none can deadlock on two of them.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.schema import SchemaItem

from legato.store.dialect import UtcDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_COLUMNS = ("day", "namespace", "flow_id", "state", "n", "ended_n", "duration_us")
_INSERT = "INSERT INTO execution_day_deltas (day, namespace, flow_id, state, n, ended_n, duration_us)"

# PostgreSQL: inserts and deletes (bulk loads, purges) are rolled up per statement from their transition table;
# updates per row, and only when a rolled-up column changes (the executor updates `data` far more often).
_PG_DAY = "date_trunc('day', {r}.created AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"
_PG_MICROS = "COALESCE((extract(epoch FROM {r}.ended - {r}.created) * 1000000)::bigint, 0)"


def _pg_rows(r: str, sign: str) -> str:
    """The delta columns of row `r` counted with `sign` ('' or '-')."""
    return _labelled(_PG_DAY.format(r=r), f"{r}.namespace", f"{r}.flow_id", f"{r}.state", f"{sign}1",
                     f"CASE WHEN {r}.ended IS NULL THEN 0 ELSE {sign}1 END", f"{sign}{_PG_MICROS.format(r=r)}")


def _labelled(*exprs: str) -> str:
    return ", ".join(f"{e} AS {c}" for e, c in zip(exprs, _COLUMNS, strict=True))


def _pg_statement(table: str, sign: str) -> str:
    """Deltas of a whole transition table, summed per key."""
    return (f"{_INSERT} SELECT day, namespace, flow_id, state, sum(n), sum(ended_n), sum(duration_us) "  # noqa: S608 - constants
            f"FROM (SELECT {_pg_rows('r', sign)} FROM {table} r WHERE NOT r.transient) AS d GROUP BY 1, 2, 3, 4")


_ROLLED = ("created", "namespace", "flow_id", "state", "ended", "transient")
_CHANGED = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in _ROLLED)

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

# SQLite: UtcDateTime is epoch microseconds, so a day is an integer division and a duration a subtraction.
_DAY_US = 86_400_000_000


def _sqlite_rows(r: str, sign: str) -> str:
    return _labelled(f"{r}.created / {_DAY_US} * {_DAY_US}", f"{r}.namespace", f"{r}.flow_id", f"{r}.state",
                     f"{sign}1", f"CASE WHEN {r}.ended IS NULL THEN 0 ELSE {sign}1 END",
                     f"{sign}COALESCE({r}.ended - {r}.created, 0)")


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


def _table(name: str, *extra: SchemaItem) -> None:
    op.create_table(
        name, *extra,
        sa.Column("day", UtcDateTime(), nullable=False),
        sa.Column("namespace", sa.String(255), nullable=False),
        sa.Column("flow_id", sa.String(255), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("ended_n", sa.BigInteger(), nullable=False),
        sa.Column("duration_us", sa.BigInteger(), nullable=False),
    )


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    _table("execution_days", sa.PrimaryKeyConstraint("day", "namespace", "flow_id", "state", name="pk_execution_days"))
    _table("execution_day_deltas",
           sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
                     autoincrement=True))
    # The triggers come first: on PostgreSQL creating them locks out writers of `executions` until this
    # transaction commits, so no change falls between the roll-up of the existing rows and the first delta.
    for statement in _PG if postgres else _SQLITE:
        op.execute(statement)
    columns = ", ".join(_COLUMNS)
    rows = _pg_rows("e", "") if postgres else _sqlite_rows("e", "")
    op.execute(f"INSERT INTO execution_days ({columns}) SELECT day, namespace, flow_id, state, sum(n), sum(ended_n), "  # noqa: S608 - constants
               f"sum(duration_us) FROM (SELECT {rows} FROM executions e WHERE NOT e.transient) AS d "
               "GROUP BY 1, 2, 3, 4")


def downgrade() -> None:
    for name in ("inserted", "deleted", "updated"):
        op.execute(f"DROP TRIGGER IF EXISTS execution_days_{name}" + (" ON executions" if _postgres() else ""))
        if _postgres():
            op.execute(f"DROP FUNCTION IF EXISTS legato_execution_days_{name}()")
    op.drop_table("execution_day_deltas")
    op.drop_table("execution_days")


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"
