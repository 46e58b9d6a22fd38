"""Trigger errors: the latest failure to evaluate a trigger (a poll, a consumer, a condition), until it works again.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from legato.store.dialect import UtcDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("triggers") as batch:
        batch.add_column(sa.Column("error", sa.Text()))
        batch.add_column(sa.Column("error_date", UtcDateTime()))


def downgrade() -> None:
    with op.batch_alter_table("triggers") as batch:
        batch.drop_column("error_date")
        batch.drop_column("error")
