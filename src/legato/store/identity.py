"""Identity records: accounts, groups and members, custom roles, bindings, API tokens, sessions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, func, select, update

from legato.identity.records import Account, ApiToken, Binding, Group, Role, ScimIntegration, Session
from legato.store.dialect import Dialect
from legato.store.schema import (
    accounts,
    api_tokens,
    bindings,
    group_members,
    iam_groups,
    roles,
    scim_integrations,
    sessions,
)

_a = accounts.c
_t = api_tokens.c


class IdentityQueries:
    """Named queries over the identity tables."""

    def __init__(self, dialect: Dialect):
        self._create_account = dialect.insert_ignore(accounts, ["name"])
        self._create_group = dialect.insert_ignore(iam_groups, ["name"])
        self._add_member = dialect.insert_ignore(group_members, ["group_id", "account_id"])
        self._create_role = dialect.insert_ignore(roles, ["name"])

    # accounts ------------------------------------------------------------------------------------------
    def create_account(self, conn: Connection, account: Account) -> bool:
        """Insert unless the name is taken; whether it was inserted."""
        return conn.execute(self._create_account, asdict(account)).rowcount == 1

    def account(self, conn: Connection, account_id: str) -> Account | None:
        """One account by id."""
        row = conn.execute(select(accounts).where(_a.id == account_id)).first()
        return _account(row) if row else None

    def account_by_name(self, conn: Connection, name: str) -> Account | None:
        """One account by its (unique) name."""
        row = conn.execute(select(accounts).where(_a.name == name)).first()
        return _account(row) if row else None

    def account_by_name_folded(self, conn: Connection, name: str) -> Account | None:
        """The (oldest) account whose name is this one without regard to case."""
        row = conn.execute(select(accounts).where(func.lower(_a.name) == name.lower()).order_by(_a.created)).first()
        return _account(row) if row else None

    def account_by_external_id(self, conn: Connection, external_id: str) -> Account | None:
        """The account an identity provider knows by this id (SCIM's externalId)."""
        row = conn.execute(select(accounts).where(_a.external_id == external_id).order_by(_a.created)).first()
        return _account(row) if row else None

    def account_by_email(self, conn: Connection, email: str) -> Account | None:
        """The (oldest) user with this e-mail address, compared without case."""
        query = select(accounts).where(func.lower(_a.email) == email.lower(), _a.kind == "USER").order_by(_a.created)
        row = conn.execute(query).first()
        return _account(row) if row else None

    def accounts(self, conn: Connection, kind: str | None) -> list[Account]:
        """Accounts by name, optionally of one kind."""
        query = select(accounts).order_by(_a.name)
        if kind is not None:
            query = query.where(_a.kind == kind)
        return [_account(r) for r in conn.execute(query)]

    def count_accounts(self, conn: Connection, kind: str) -> int:
        """How many accounts of a kind exist."""
        return int(conn.execute(select(func.count()).select_from(accounts).where(_a.kind == kind)).scalar_one())

    def update_account(self, conn: Connection, account_id: str, changes: dict[str, Any]) -> bool:
        """Set columns of one account; whether it exists."""
        return conn.execute(update(accounts).where(_a.id == account_id).values(**changes)).rowcount == 1

    def delete_account(self, conn: Connection, account_id: str) -> bool:
        """Remove an account with its memberships, bindings, tokens and sessions; whether it existed."""
        conn.execute(delete(group_members).where(group_members.c.account_id == account_id))
        conn.execute(delete(bindings).where(bindings.c.subject_id == account_id))
        conn.execute(delete(api_tokens).where(_t.account_id == account_id))
        conn.execute(delete(sessions).where(sessions.c.account_id == account_id))
        return conn.execute(delete(accounts).where(_a.id == account_id)).rowcount == 1

    # groups ----------------------------------------------------------------------------------------------
    def create_group(self, conn: Connection, group: Group) -> bool:
        """Insert unless the name is taken."""
        return conn.execute(self._create_group, asdict(group)).rowcount == 1

    def groups(self, conn: Connection) -> list[Group]:
        """Every group by name."""
        return [_group(r) for r in conn.execute(select(iam_groups).order_by(iam_groups.c.name))]

    def group(self, conn: Connection, group_id: str) -> Group | None:
        """One group by id."""
        row = conn.execute(select(iam_groups).where(iam_groups.c.id == group_id)).first()
        return _group(row) if row else None

    def update_group(self, conn: Connection, group_id: str, changes: dict[str, Any]) -> bool | None:
        """Set columns of one group; None when there is none, False when its new name is taken."""
        if "name" in changes:
            taken = select(iam_groups.c.id).where(iam_groups.c.name == changes["name"], iam_groups.c.id != group_id)
            if conn.execute(taken).first() is not None:
                return False
        query = update(iam_groups).where(iam_groups.c.id == group_id).values(**changes)
        return True if conn.execute(query).rowcount == 1 else None

    def delete_group(self, conn: Connection, group_id: str) -> bool:
        """Remove a group with its memberships and bindings."""
        conn.execute(delete(group_members).where(group_members.c.group_id == group_id))
        conn.execute(delete(bindings).where(bindings.c.subject_id == group_id))
        return conn.execute(delete(iam_groups).where(iam_groups.c.id == group_id)).rowcount == 1

    def add_member(self, conn: Connection, group_id: str, account_id: str) -> None:
        """Make an account a member of a group (again: no change)."""
        conn.execute(self._add_member, {"group_id": group_id, "account_id": account_id})

    def remove_member(self, conn: Connection, group_id: str, account_id: str) -> bool:
        """End a membership; whether there was one."""
        query = delete(group_members).where(group_members.c.group_id == group_id,
                                            group_members.c.account_id == account_id)
        return conn.execute(query).rowcount == 1

    def members(self, conn: Connection, group_id: str) -> list[str]:
        """Account ids of a group."""
        query = select(group_members.c.account_id).where(group_members.c.group_id == group_id)
        return sorted(r.account_id for r in conn.execute(query))

    def groups_of(self, conn: Connection, account_id: str) -> list[str]:
        """Group ids an account belongs to."""
        query = select(group_members.c.group_id).where(group_members.c.account_id == account_id)
        return sorted(r.group_id for r in conn.execute(query))

    # roles -----------------------------------------------------------------------------------------------
    def create_role(self, conn: Connection, role: Role) -> bool:
        """Insert unless the name is taken."""
        return conn.execute(self._create_role, {**asdict(role), "permissions": list(role.permissions)}).rowcount == 1

    def roles(self, conn: Connection) -> list[Role]:
        """Every custom role by name."""
        return [_role(r) for r in conn.execute(select(roles).order_by(roles.c.name))]

    def update_role(self, conn: Connection, role: Role) -> bool:
        """Replace a role's name, description and permissions; whether it exists."""
        values = {"name": role.name, "description": role.description, "permissions": list(role.permissions),
                  "updated": role.updated}
        return conn.execute(update(roles).where(roles.c.id == role.id).values(**values)).rowcount == 1

    def delete_role(self, conn: Connection, role_id: str) -> bool:
        """Remove a role and its bindings."""
        conn.execute(delete(bindings).where(bindings.c.role_id == role_id))
        return conn.execute(delete(roles).where(roles.c.id == role_id)).rowcount == 1

    # bindings --------------------------------------------------------------------------------------------
    def create_binding(self, conn: Connection, binding: Binding) -> None:
        """Insert a binding."""
        conn.execute(bindings.insert(), asdict(binding))

    def bindings(self, conn: Connection, subject_ids: Sequence[str] | None, tenant: str) -> list[Binding]:
        """A tenant's bindings (of these subjects only), oldest first."""
        query = select(bindings).where(bindings.c.tenant == tenant).order_by(bindings.c.created, bindings.c.id)
        if subject_ids is not None:
            query = query.where(bindings.c.subject_id.in_(list(subject_ids)))
        return [Binding(r.id, r.role_id, r.subject_type, r.subject_id, r.namespace, r.created, r.tenant)
                for r in conn.execute(query)]

    def binding_tenants(self, conn: Connection, subject_ids: Sequence[str]) -> list[str]:
        """The tenants where these subjects have a binding."""
        query = (select(bindings.c.tenant).where(bindings.c.subject_id.in_(list(subject_ids)))
                 .group_by(bindings.c.tenant).order_by(bindings.c.tenant))
        return [r.tenant for r in conn.execute(query)]

    def delete_binding(self, conn: Connection, binding_id: str, tenant: str) -> bool:
        """Remove one binding of a tenant."""
        query = delete(bindings).where(bindings.c.id == binding_id, bindings.c.tenant == tenant)
        return conn.execute(query).rowcount == 1

    # tokens ----------------------------------------------------------------------------------------------
    def create_token(self, conn: Connection, token: ApiToken) -> None:
        """Insert a token (its secret's hash only)."""
        conn.execute(api_tokens.insert(), asdict(token))

    def token(self, conn: Connection, token_id: str) -> ApiToken | None:
        """One token by id."""
        row = conn.execute(select(api_tokens).where(_t.id == token_id)).first()
        return _token(row) if row else None

    def tokens(self, conn: Connection, account_id: str) -> list[ApiToken]:
        """An account's tokens, newest first."""
        query = select(api_tokens).where(_t.account_id == account_id).order_by(_t.created.desc(), _t.id)
        return [_token(r) for r in conn.execute(query)]

    def touch_token(self, conn: Connection, token_id: str, now: datetime) -> None:
        """Record a use."""
        conn.execute(update(api_tokens).where(_t.id == bindparam("b_id")).values(last_used=bindparam("b_now")),
                     {"b_id": token_id, "b_now": now})

    def revoke_token(self, conn: Connection, token_id: str, now: datetime) -> bool:
        """Revoke a token not revoked yet; whether it was."""
        query = update(api_tokens).where(_t.id == token_id, _t.revoked_at.is_(None)).values(revoked_at=now)
        return conn.execute(query).rowcount == 1

    # sessions --------------------------------------------------------------------------------------------
    def create_session(self, conn: Connection, session: Session) -> None:
        """Insert a session."""
        conn.execute(sessions.insert(), asdict(session))

    def session(self, conn: Connection, id_hash: str, now: datetime) -> Session | None:
        """A session not expired yet."""
        row = conn.execute(select(sessions).where(sessions.c.id_hash == id_hash, sessions.c.expires_at > now)).first()
        return Session(row.id_hash, row.account_id, row.csrf, row.created, row.expires_at) if row else None

    def delete_session(self, conn: Connection, id_hash: str) -> bool:
        """Sign out one session."""
        return conn.execute(delete(sessions).where(sessions.c.id_hash == id_hash)).rowcount == 1

    def delete_sessions(self, conn: Connection, account_id: str | None, expired_before: datetime | None) -> int:
        """Sign out every session of an account, or drop sessions expired before a moment."""
        query = delete(sessions)
        if account_id is not None:
            query = query.where(sessions.c.account_id == account_id)
        if expired_before is not None:
            query = query.where(sessions.c.expires_at <= expired_before)
        return conn.execute(query).rowcount


    # SCIM integrations -------------------------------------------------------------------------------------
    def create_scim_integration(self, conn: Connection, integration: ScimIntegration) -> None:
        """Insert an integration."""
        conn.execute(scim_integrations.insert(), asdict(integration))

    def scim_integration(self, conn: Connection, integration_id: str) -> ScimIntegration | None:
        """One integration by id."""
        row = conn.execute(select(scim_integrations).where(scim_integrations.c.id == integration_id)).first()
        return _integration(row) if row else None

    def scim_integrations(self, conn: Connection) -> list[ScimIntegration]:
        """Every integration, oldest first."""
        query = select(scim_integrations).order_by(scim_integrations.c.created, scim_integrations.c.id)
        return [_integration(r) for r in conn.execute(query)]

    def update_scim_integration(self, conn: Connection, integration_id: str, changes: dict[str, Any]) -> bool:
        """Set columns of one integration; whether it exists."""
        query = update(scim_integrations).where(scim_integrations.c.id == integration_id).values(**changes)
        return conn.execute(query).rowcount == 1

    def delete_scim_integration(self, conn: Connection, integration_id: str) -> bool:
        """Remove an integration (not its service account); whether it existed."""
        query = delete(scim_integrations).where(scim_integrations.c.id == integration_id)
        return conn.execute(query).rowcount == 1


def _integration(row: Row[Any]) -> ScimIntegration:
    return ScimIntegration(row.id, row.tenant, row.description, bool(row.enabled), row.account_id, row.created,
                           row.updated)


def _group(row: Row[Any]) -> Group:
    return Group(row.id, row.name, row.description, row.created, row.external_id, row.updated)


def _account(row: Row[Any]) -> Account:
    return Account(
        id=row.id, kind=row.kind, name=row.name, display_name=row.display_name, password_hash=row.password_hash,
        owner=bool(row.owner), disabled=bool(row.disabled), created=row.created, updated=row.updated,
        description=row.description, failures=row.failures, failures_since=row.failures_since,
        locked_until=row.locked_until, email=row.email, external_id=row.external_id,
        profile=row.profile,
    )


def _role(row: Row[Any]) -> Role:
    return Role(row.id, row.name, row.description, tuple(row.permissions or ()), row.created, row.updated)


def _token(row: Row[Any]) -> ApiToken:
    return ApiToken(row.id, row.account_id, row.name, row.description, row.secret_hash, row.prefix, row.created,
                    row.expires_at, row.last_used, row.revoked_at)
