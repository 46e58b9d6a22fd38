"""The identity aggregate: accounts, groups, roles, bindings, API tokens, sessions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from legato.identity.records import Account, ApiToken, Binding, Group, Role, ScimIntegration, Session
from legato.store.ports.tenants import MAIN


class IdentityStore(Protocol):
    def create_account(self, account: Account) -> bool:
        """Store a new user or service account; False (nothing written) when its name is taken."""
        ...

    def get_account(self, account_id: str) -> Account | None: ...

    def account_by_name(self, name: str) -> Account | None: ...

    def account_by_name_folded(self, name: str) -> Account | None:
        """The account with this name compared without case (SCIM's userName is case-insensitive)."""
        ...

    def account_by_external_id(self, external_id: str) -> Account | None:
        """The account an identity provider knows by this id (SCIM's externalId)."""
        ...

    def account_by_email(self, email: str) -> Account | None:
        """The user with this e-mail address (compared without case)."""
        ...

    def list_accounts(self, kind: str | None = None) -> list[Account]:
        """Accounts by name; of one kind (USER, SERVICE_ACCOUNT) when given."""
        ...

    def count_accounts(self, kind: str = "USER") -> int: ...

    def update_account(self, account_id: str, **changes: Any) -> Account | None:
        """Set columns of an account (password_hash, disabled, owner, the lockout counters...); the account
        after the change, None when there is none."""
        ...

    def delete_account(self, account_id: str) -> bool:
        """Delete an account with its memberships, bindings, tokens and sessions; False when there was none."""
        ...

    def create_group(self, group: Group) -> bool:
        """Store a new group; False when its name is taken."""
        ...

    def list_groups(self) -> list[Group]: ...

    def get_group(self, group_id: str) -> Group | None: ...

    def update_group(self, group_id: str, **changes: Any) -> Group | None:
        """Set columns of a group (name, description, external_id, updated); the group after the change, None
        when there is none. ValueError when the new name is taken."""
        ...

    def delete_group(self, group_id: str) -> bool:
        """Delete a group with its memberships and bindings."""
        ...

    def add_group_member(self, group_id: str, account_id: str) -> None: ...

    def remove_group_member(self, group_id: str, account_id: str) -> bool: ...

    def group_members(self, group_id: str) -> list[str]:
        """Account ids of the group's members."""
        ...

    def groups_of(self, account_id: str) -> list[str]:
        """Ids of the groups an account belongs to."""
        ...

    def create_role(self, role: Role) -> bool:
        """Store a custom role; False when its name is taken."""
        ...

    def list_roles(self) -> list[Role]:
        """The custom roles (the managed ones are not stored)."""
        ...

    def update_role(self, role: Role) -> bool: ...

    def delete_role(self, role_id: str) -> bool:
        """Delete a custom role and every binding of it."""
        ...

    def create_binding(self, binding: Binding) -> None: ...

    def list_bindings(self, subject_ids: Sequence[str] | None = None, *, tenant: str = MAIN) -> list[Binding]:
        """Every binding of `tenant`, or those of the given users, groups and service accounts."""
        ...

    def delete_binding(self, binding_id: str, *, tenant: str = MAIN) -> bool:
        """Delete a binding of `tenant`; False when `tenant` has no such binding."""
        ...

    def binding_tenants(self, subject_ids: Sequence[str]) -> list[str]:
        """The tenants where one of these users, groups or service accounts has a binding, by id."""
        ...

    def create_token(self, token: ApiToken) -> None: ...

    def get_token(self, token_id: str) -> ApiToken | None: ...

    def list_tokens(self, account_id: str) -> list[ApiToken]:
        """An account's tokens (revoked and expired ones included), newest first."""
        ...

    def touch_token(self, token_id: str, now: datetime) -> None:
        """Record the token's last use."""
        ...

    def revoke_token(self, token_id: str, now: datetime) -> bool:
        """Revoke a token; False when there is none or it was revoked already."""
        ...

    def create_session(self, session: Session) -> None: ...

    def get_session(self, id_hash: str, now: datetime) -> Session | None:
        """The session with this id hash, unless expired."""
        ...

    def delete_session(self, id_hash: str) -> bool: ...

    def delete_sessions(self, account_id: str | None = None, expired_before: datetime | None = None) -> int:
        """Drop the sessions of an account, or those expired before a moment; how many."""
        ...

    def create_scim_integration(self, integration: ScimIntegration) -> None: ...

    def get_scim_integration(self, integration_id: str) -> ScimIntegration | None: ...

    def list_scim_integrations(self) -> list[ScimIntegration]: ...

    def update_scim_integration(self, integration_id: str, **changes: Any) -> ScimIntegration | None:
        """Set columns of an integration (enabled, description, updated); None when there is none."""
        ...

    def delete_scim_integration(self, integration_id: str) -> bool:
        """Remove an integration (its service account stays until deleted itself)."""
        ...
