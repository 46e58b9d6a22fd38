"""Triggers and flow test suites per tenant: a `tenant` column first in the keys of the trigger states, their
fires, their precondition windows, their backfills and the test suites, and first in the index of the test results
by suite, so two tenants' flows of the same namespace and id keep their own trigger state and suites. Existing rows
belong to `main` (the server default), so an upgraded install keeps every trigger's dates, lock, lease, cursor and
backfill, and every suite and its history, where they were; a previous version's inserts, which do not name the
column, land in `main` as they always did.

Five tables change their primary keys: SQLite rebuilds them (batch mode); PostgreSQL alters them in place.
The scheduler's index on the next date is unchanged (it reads every tenant's due triggers).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from __future__ import annotations

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


def upgrade() -> None:
    for table, key in KEYS.items():
        with op.batch_alter_table(table, recreate="auto") as batch:
            batch.add_column(_tenant())
            batch.drop_constraint(f"pk_{table}", type_="primary")
            batch.create_primary_key(f"pk_{table}", ["tenant", *key])
    op.add_column("test_results", _tenant())
    op.drop_index("ix_test_results_suite", table_name="test_results")
    op.create_index("ix_test_results_suite", "test_results", ["tenant", "namespace", "suite_id", "started"])


def downgrade() -> None:
    op.drop_index("ix_test_results_suite", table_name="test_results")
    op.create_index("ix_test_results_suite", "test_results", ["namespace", "suite_id", "started"])
    op.drop_column("test_results", "tenant")
    for table, key in KEYS.items():
        with op.batch_alter_table(table, recreate="auto") as batch:
            batch.drop_constraint(f"pk_{table}", type_="primary")
            batch.create_primary_key(f"pk_{table}", key)
            batch.drop_column("tenant")
