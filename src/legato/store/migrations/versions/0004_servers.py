"""Server registry (each process with its roles and heartbeat) and the index retention purges walk.

Revision ID: 0004
Revises: 0003
Create Date: 2025-01-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from legato.store.dialect import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "servers",
        sa.Column("id", sa.String(255), nullable=False),
        sa.Column("roles", sa.String(255), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("worker_groups", sa.String(1024)),
        sa.Column("slots", sa.Integer()),
        sa.Column("started", UtcDateTime(), nullable=False),
        sa.Column("heartbeat_at", UtcDateTime(), nullable=False),
        sa.Column("stopped", UtcDateTime()),
        sa.PrimaryKeyConstraint("id", name="pk_servers"),
    )
    op.create_index("ix_servers_heartbeat", "servers", ["heartbeat_at"])
    op.create_index("ix_executions_ended", "executions", ["ended"])


def downgrade() -> None:
    op.drop_index("ix_executions_ended", table_name="executions")
    op.drop_index("ix_servers_heartbeat", table_name="servers")
    op.drop_table("servers")
