"""SCIM provisioning: the e-mail address, the identity provider's id (externalId) and SCIM profile (name parts,
e-mail addresses) of users, the externalId
and last change of groups, and the SCIM integrations (each acts as its own service account).

Revision ID: 0014
Revises: 0013_dashboards
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from legato.store.dialect import Json, UtcDateTime

revision = "0014"
down_revision = "0013_dashboards"
branch_labels = None
depends_on = None

_ID = sa.String(64)
_NAME = sa.String(255)


def upgrade() -> None:
    op.add_column("accounts", sa.Column("email", _NAME))
    op.add_column("accounts", sa.Column("external_id", _NAME))
    op.add_column("accounts", sa.Column("profile", Json()))
    op.create_index("ix_accounts_email", "accounts", ["email"])
    op.create_index("ix_accounts_external_id", "accounts", ["external_id"])
    op.add_column("iam_groups", sa.Column("external_id", _NAME))
    op.add_column("iam_groups", sa.Column("updated", UtcDateTime()))
    op.create_table(
        "scim_integrations",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        sa.Column("enabled", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("account_id", _ID, nullable=False),
        sa.Column("created", UtcDateTime(), nullable=False),
        sa.Column("updated", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("scim_integrations")
    with op.batch_alter_table("iam_groups") as batch:
        batch.drop_column("updated")
        batch.drop_column("external_id")
    op.drop_index("ix_accounts_external_id", table_name="accounts")
    op.drop_index("ix_accounts_email", table_name="accounts")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("profile")
        batch.drop_column("external_id")
        batch.drop_column("email")
