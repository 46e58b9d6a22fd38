"""Tenants: the registry of tenants (`main` is implicit and always exists) and a `tenant` column on the core
tables that did not have one yet (flows, executions, kv, bindings), first in the keys and indexes that name a
namespace, so the same namespace and flow id can live in two tenants. Existing rows belong to `main` (the server
default), so an upgraded single-tenant install keeps every flow, execution, KV entry and binding where it was.

`flows` and `kv` change their primary keys: SQLite rebuilds those two tables (batch mode); PostgreSQL alters
them in place. `executions` only gains a column and two rebuilt indexes (rebuilding the table on SQLite would
drop the roll-up triggers of migration 0016).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from legato.store.dialect import UtcDateTime

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def _tenant() -> sa.Column[str]:
    return sa.Column("tenant", sa.String(64), nullable=False, server_default="main")


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(255), nullable=False),
        sa.Column("created", UtcDateTime(), nullable=False),
        sa.Column("updated", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tenants"),
    )
    with op.batch_alter_table("flows", recreate="auto") as batch:
        batch.add_column(_tenant())
        batch.drop_constraint("pk_flows", type_="primary")
        batch.create_primary_key("pk_flows", ["tenant", "namespace", "id", "revision"])
    with op.batch_alter_table("kv", recreate="auto") as batch:
        batch.add_column(_tenant())
        batch.drop_constraint("pk_kv", type_="primary")
        batch.create_primary_key("pk_kv", ["tenant", "namespace", "key"])
    op.add_column("executions", _tenant())
    op.drop_index("ix_executions_flow", table_name="executions")
    op.drop_index("ix_executions_flow_created", table_name="executions")
    op.create_index("ix_executions_flow", "executions", ["tenant", "namespace", "flow_id", "state", "created"])
    op.create_index("ix_executions_flow_created", "executions", ["tenant", "namespace", "flow_id", "created"])
    op.create_index("ix_executions_tenant_created", "executions", ["tenant", "created"])
    op.add_column("bindings", _tenant())


def downgrade() -> None:
    op.drop_column("bindings", "tenant")
    op.drop_index("ix_executions_tenant_created", table_name="executions")
    op.drop_index("ix_executions_flow_created", table_name="executions")
    op.drop_index("ix_executions_flow", table_name="executions")
    op.create_index("ix_executions_flow", "executions", ["namespace", "flow_id", "state", "created"])
    op.create_index("ix_executions_flow_created", "executions", ["namespace", "flow_id", "created"])
    op.drop_column("executions", "tenant")
    for table, key in (("kv", ["namespace", "key"]), ("flows", ["namespace", "id", "revision"])):
        with op.batch_alter_table(table, recreate="auto") as batch:
            batch.drop_constraint(f"pk_{table}", type_="primary")
            batch.create_primary_key(f"pk_{table}", key)
            batch.drop_column("tenant")
