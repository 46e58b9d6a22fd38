"""Trigger state: whether a trigger is enabled, its next and last dates, the execution it waits for.

Revision ID: 0003
Revises: 0002
Create Date: 2025-01-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from legato.store.dialect import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_NAME = sa.String(255)


def upgrade() -> None:
    op.create_table(
        "triggers",
        sa.Column("namespace", _NAME, nullable=False),
        sa.Column("flow_id", _NAME, nullable=False),
        sa.Column("trigger_id", _NAME, nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("next_date", UtcDateTime()),
        sa.Column("last_date", UtcDateTime()),
        sa.Column("locked_execution_id", sa.String(64)),
        sa.Column("updated", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("namespace", "flow_id", "trigger_id", name="pk_triggers"),
    )
    op.create_index("ix_triggers_next_date", "triggers", ["next_date"])


def downgrade() -> None:
    op.drop_index("ix_triggers_next_date", table_name="triggers")
    op.drop_table("triggers")
