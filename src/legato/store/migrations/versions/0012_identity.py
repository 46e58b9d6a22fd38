"""Identity: accounts (users and service accounts), groups and their members, custom roles, bindings, API tokens
and sign-in sessions.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from legato.store.dialect import Json, UtcDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_ID = sa.String(64)
_NAME = sa.String(255)


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", _NAME, nullable=False),
        sa.Column("display_name", _NAME, nullable=False, server_default=""),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        sa.Column("password_hash", _NAME),
        sa.Column("owner", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("failures_since", UtcDateTime()),
        sa.Column("locked_until", UtcDateTime()),
        sa.Column("created", UtcDateTime(), nullable=False),
        sa.Column("updated", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("name", name="uq_accounts_name"),
    )
    op.create_table(
        "iam_groups",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("name", _NAME, nullable=False),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        sa.Column("created", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("name", name="uq_iam_groups_name"),
    )
    op.create_table(
        "group_members",
        sa.Column("group_id", _ID, nullable=False),
        sa.Column("account_id", _ID, nullable=False),
        sa.PrimaryKeyConstraint("group_id", "account_id", name="pk_group_members"),
    )
    op.create_index("ix_group_members_account", "group_members", ["account_id"])
    op.create_table(
        "roles",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("name", _NAME, nullable=False),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        sa.Column("permissions", Json(), nullable=False),
        sa.Column("created", UtcDateTime(), nullable=False),
        sa.Column("updated", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("name", name="uq_roles_name"),
    )
    op.create_table(
        "bindings",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("role_id", _ID, nullable=False),
        sa.Column("subject_type", sa.String(16), nullable=False),
        sa.Column("subject_id", _ID, nullable=False),
        sa.Column("namespace", _NAME),
        sa.Column("created", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_bindings_subject", "bindings", ["subject_id"])
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("account_id", _ID, nullable=False),
        sa.Column("name", _NAME, nullable=False),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("prefix", sa.String(64), nullable=False),
        sa.Column("created", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime()),
        sa.Column("last_used", UtcDateTime()),
        sa.Column("revoked_at", UtcDateTime()),
    )
    op.create_index("ix_api_tokens_account", "api_tokens", ["account_id"])
    op.create_table(
        "sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("account_id", _ID, nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_sessions_account", "sessions", ["account_id"])


def downgrade() -> None:
    for table in ("sessions", "api_tokens", "bindings", "roles", "group_members", "iam_groups", "accounts"):
        op.drop_table(table)
