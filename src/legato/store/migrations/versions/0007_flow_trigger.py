"""Flow trigger: the outbox of ended executions the scheduler consumes, and the preconditions met so far.

Revision ID: 0007
Revises: 0006
Create Date: 2025-01-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from legato.store.dialect import Json, UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_NAME = sa.String(255)
_SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "execution_ends",
        sa.Column("id", _SERIAL, primary_key=True, autoincrement=True),
        sa.Column("fire_key", _NAME, nullable=False),
        sa.Column("execution_id", sa.String(64), nullable=False),
        sa.Column("namespace", _NAME, nullable=False),
        sa.Column("flow_id", _NAME, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("ended", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("fire_key", name="uq_execution_ends_key"),
    )
    op.create_index("ix_execution_ends_execution", "execution_ends", ["execution_id"])
    op.create_table(
        "trigger_preconditions",
        sa.Column("namespace", _NAME, nullable=False),
        sa.Column("flow_id", _NAME, nullable=False),
        sa.Column("trigger_id", _NAME, nullable=False),
        sa.Column("window_start", UtcDateTime()),
        sa.Column("window_end", UtcDateTime()),
        sa.Column("met", Json(), nullable=False),
        sa.Column("updated", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("namespace", "flow_id", "trigger_id", name="pk_trigger_preconditions"),
    )


def downgrade() -> None:
    op.drop_table("trigger_preconditions")
    op.drop_index("ix_execution_ends_execution", table_name="execution_ends")
    op.drop_table("execution_ends")
