"""Trigger fires: one row per (flow, trigger, fire key), inserted with the execution it created (exactly once).

Revision ID: 0005
Revises: 0004
Create Date: 2025-01-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from legato.store.dialect import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_NAME = sa.String(255)


def upgrade() -> None:
    op.create_table(
        "trigger_fires",
        sa.Column("namespace", _NAME, nullable=False),
        sa.Column("flow_id", _NAME, nullable=False),
        sa.Column("trigger_id", _NAME, nullable=False),
        sa.Column("fire_key", _NAME, nullable=False),
        sa.Column("execution_id", sa.String(64), nullable=False),
        sa.Column("created", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("namespace", "flow_id", "trigger_id", "fire_key", name="pk_trigger_fires"),
    )
    op.create_index("ix_trigger_fires_created", "trigger_fires", ["created"])


def downgrade() -> None:
    op.drop_index("ix_trigger_fires_created", table_name="trigger_fires")
    op.drop_table("trigger_fires")
