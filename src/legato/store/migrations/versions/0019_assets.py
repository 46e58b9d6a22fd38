"""Assets (Kestra's io.kestra.plugin.ee.assets): the resources flows read and write, and each read or write of
one by a task run, from which lineage is read.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from legato.store.dialect import Json, UtcDateTime

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assets",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("id", sa.String(255), nullable=False),
        sa.Column("namespace", sa.String(255), nullable=True),
        sa.Column("type", sa.String(255), nullable=True),
        sa.Column("display_name", sa.String(255), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("metadata", Json(), nullable=False),
        sa.Column("created", UtcDateTime(), nullable=False),
        sa.Column("updated", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "id", name="pk_assets"),
    )
    op.create_index("ix_assets_namespace", "assets", ["tenant", "namespace"])
    op.create_table(
        "asset_usages",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("task_run_id", sa.String(64), nullable=False),
        sa.Column("asset_id", sa.String(255), nullable=False),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("execution_id", sa.String(64), nullable=False),
        sa.Column("namespace", sa.String(255), nullable=False),
        sa.Column("flow_id", sa.String(255), nullable=False),
        sa.Column("task_id", sa.String(255), nullable=False),
        sa.Column("created", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("tenant", "task_run_id", "asset_id", "direction", name="uq_asset_usages_run"),
    )
    op.create_index("ix_asset_usages_asset", "asset_usages", ["tenant", "asset_id", "created"])
    op.create_index("ix_asset_usages_execution", "asset_usages", ["tenant", "execution_id"])


def downgrade() -> None:
    op.drop_index("ix_asset_usages_execution", table_name="asset_usages")
    op.drop_index("ix_asset_usages_asset", table_name="asset_usages")
    op.drop_table("asset_usages")
    op.drop_index("ix_assets_namespace", table_name="assets")
    op.drop_table("assets")
