"""Accounts, groups, roles, bindings, API tokens and sessions over SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from legato.identity.records import Account, ApiToken, Binding, Group, Role, ScimIntegration, Session
from legato.store.database import Database
from legato.store.identity import IdentityQueries
from legato.store.ports.tenants import MAIN


class SqlIdentity:
    """ports.IdentityStore over SQL: each call is one short transaction."""

    def __init__(self, db: Database):
        self._db = db
        self._iq = IdentityQueries(db.dialect)

    def create_account(self, account: Account) -> bool:
        with self._db.write() as tx:
            return self._iq.create_account(tx.conn, account)

    def get_account(self, account_id: str) -> Account | None:
        with self._db.read() as conn:
            return self._iq.account(conn, account_id)

    def account_by_name(self, name: str) -> Account | None:
        with self._db.read() as conn:
            return self._iq.account_by_name(conn, name)

    def account_by_name_folded(self, name: str) -> Account | None:
        with self._db.read() as conn:
            return self._iq.account_by_name_folded(conn, name)

    def account_by_external_id(self, external_id: str) -> Account | None:
        with self._db.read() as conn:
            return self._iq.account_by_external_id(conn, external_id)

    def account_by_email(self, email: str) -> Account | None:
        with self._db.read() as conn:
            return self._iq.account_by_email(conn, email)

    def list_accounts(self, kind: str | None = None) -> list[Account]:
        with self._db.read() as conn:
            return self._iq.accounts(conn, kind)

    def count_accounts(self, kind: str = "USER") -> int:
        with self._db.read() as conn:
            return self._iq.count_accounts(conn, kind)

    def update_account(self, account_id: str, **changes: Any) -> Account | None:
        with self._db.write() as tx:
            if not self._iq.update_account(tx.conn, account_id, changes):
                return None
            return self._iq.account(tx.conn, account_id)

    def delete_account(self, account_id: str) -> bool:
        with self._db.write() as tx:
            return self._iq.delete_account(tx.conn, account_id)

    def create_group(self, group: Group) -> bool:
        with self._db.write() as tx:
            return self._iq.create_group(tx.conn, group)

    def list_groups(self) -> list[Group]:
        with self._db.read() as conn:
            return self._iq.groups(conn)

    def get_group(self, group_id: str) -> Group | None:
        with self._db.read() as conn:
            return self._iq.group(conn, group_id)

    def update_group(self, group_id: str, **changes: Any) -> Group | None:
        with self._db.write() as tx:
            done = self._iq.update_group(tx.conn, group_id, changes)
            if done is False:
                raise ValueError(f"a group named '{changes['name']}' already exists")
            return self._iq.group(tx.conn, group_id) if done else None

    def delete_group(self, group_id: str) -> bool:
        with self._db.write() as tx:
            return self._iq.delete_group(tx.conn, group_id)

    def add_group_member(self, group_id: str, account_id: str) -> None:
        with self._db.write() as tx:
            self._iq.add_member(tx.conn, group_id, account_id)

    def remove_group_member(self, group_id: str, account_id: str) -> bool:
        with self._db.write() as tx:
            return self._iq.remove_member(tx.conn, group_id, account_id)

    def group_members(self, group_id: str) -> list[str]:
        with self._db.read() as conn:
            return self._iq.members(conn, group_id)

    def groups_of(self, account_id: str) -> list[str]:
        with self._db.read() as conn:
            return self._iq.groups_of(conn, account_id)

    def create_role(self, role: Role) -> bool:
        with self._db.write() as tx:
            return self._iq.create_role(tx.conn, role)

    def list_roles(self) -> list[Role]:
        with self._db.read() as conn:
            return self._iq.roles(conn)

    def update_role(self, role: Role) -> bool:
        with self._db.write() as tx:
            return self._iq.update_role(tx.conn, role)

    def delete_role(self, role_id: str) -> bool:
        with self._db.write() as tx:
            return self._iq.delete_role(tx.conn, role_id)

    def create_binding(self, binding: Binding) -> None:
        with self._db.write() as tx:
            self._iq.create_binding(tx.conn, binding)

    def list_bindings(self, subject_ids: Sequence[str] | None = None, *, tenant: str = MAIN) -> list[Binding]:
        with self._db.read() as conn:
            return self._iq.bindings(conn, subject_ids, tenant)

    def binding_tenants(self, subject_ids: Sequence[str]) -> list[str]:
        with self._db.read() as conn:
            return self._iq.binding_tenants(conn, subject_ids)

    def delete_binding(self, binding_id: str, *, tenant: str = MAIN) -> bool:
        with self._db.write() as tx:
            return self._iq.delete_binding(tx.conn, binding_id, tenant)

    def create_token(self, token: ApiToken) -> None:
        with self._db.write() as tx:
            self._iq.create_token(tx.conn, token)

    def get_token(self, token_id: str) -> ApiToken | None:
        with self._db.read() as conn:
            return self._iq.token(conn, token_id)

    def list_tokens(self, account_id: str) -> list[ApiToken]:
        with self._db.read() as conn:
            return self._iq.tokens(conn, account_id)

    def touch_token(self, token_id: str, now: datetime) -> None:
        with self._db.write() as tx:
            self._iq.touch_token(tx.conn, token_id, now)

    def revoke_token(self, token_id: str, now: datetime) -> bool:
        with self._db.write() as tx:
            return self._iq.revoke_token(tx.conn, token_id, now)

    def create_session(self, session: Session) -> None:
        with self._db.write() as tx:
            self._iq.create_session(tx.conn, session)

    def get_session(self, id_hash: str, now: datetime) -> Session | None:
        with self._db.read() as conn:
            return self._iq.session(conn, id_hash, now)

    def delete_session(self, id_hash: str) -> bool:
        with self._db.write() as tx:
            return self._iq.delete_session(tx.conn, id_hash)

    def delete_sessions(self, account_id: str | None = None, expired_before: datetime | None = None) -> int:
        with self._db.write() as tx:
            return self._iq.delete_sessions(tx.conn, account_id, expired_before)

    def create_scim_integration(self, integration: ScimIntegration) -> None:
        with self._db.write() as tx:
            self._iq.create_scim_integration(tx.conn, integration)

    def get_scim_integration(self, integration_id: str) -> ScimIntegration | None:
        with self._db.read() as conn:
            return self._iq.scim_integration(conn, integration_id)

    def list_scim_integrations(self) -> list[ScimIntegration]:
        with self._db.read() as conn:
            return self._iq.scim_integrations(conn)

    def update_scim_integration(self, integration_id: str, **changes: Any) -> ScimIntegration | None:
        with self._db.write() as tx:
            if not self._iq.update_scim_integration(tx.conn, integration_id, changes):
                return None
            return self._iq.scim_integration(tx.conn, integration_id)

    def delete_scim_integration(self, integration_id: str) -> bool:
        with self._db.write() as tx:
            return self._iq.delete_scim_integration(tx.conn, integration_id)
