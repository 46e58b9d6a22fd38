"""The identity records the store keeps: accounts (users and service accounts), groups, roles, bindings, API
tokens and sign-in sessions. Plain frozen values; the services change them by copy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

AccountKind = Literal["USER", "SERVICE_ACCOUNT"]
SubjectType = Literal["USER", "GROUP", "SERVICE_ACCOUNT"]


@dataclass(frozen=True)
class Account:
    """A user (a person, signs in with a password) or a service account (an application, API tokens only).
    `owner`: the instance owner, above every role. The lockout fields count failed sign-ins."""

    id: str
    kind: AccountKind
    name: str
    display_name: str
    password_hash: str | None
    owner: bool
    disabled: bool
    created: datetime
    updated: datetime
    description: str = ""
    failures: int = 0
    failures_since: datetime | None = None
    locked_until: datetime | None = None
    email: str | None = None
    external_id: str | None = None  # the identity provider's id of a user provisioned through SCIM
    profile: dict[str, Any] | None = None  # SCIM's `name` and `emails` as the provider sent them


@dataclass(frozen=True)
class Group:
    id: str
    name: str
    description: str
    created: datetime
    external_id: str | None = None  # the identity provider's id of a group provisioned through SCIM
    updated: datetime | None = None  # None: unchanged since created

    @property
    def last_modified(self) -> datetime:
        return self.updated or self.created


@dataclass(frozen=True)
class Role:
    """A custom role (the managed ones live in code, `permissions.MANAGED`). Permissions as 'RESOURCE:ACTION'."""

    id: str
    name: str
    description: str
    permissions: tuple[str, ...]
    created: datetime
    updated: datetime


@dataclass(frozen=True)
class Binding:
    """Gives `role_id` to a user, group or service account on the whole `tenant` (namespace None) or on a
    namespace of it and its children."""

    id: str
    role_id: str
    subject_type: SubjectType
    subject_id: str
    namespace: str | None
    created: datetime
    tenant: str = "main"  # a binding gives nothing in another tenant


@dataclass(frozen=True)
class ApiToken:
    """An API token of an account: only the SHA-256 of its secret is kept."""

    id: str
    account_id: str
    name: str
    description: str
    secret_hash: str
    prefix: str
    created: datetime
    expires_at: datetime | None
    last_used: datetime | None
    revoked_at: datetime | None

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


@dataclass(frozen=True)
class Session:
    """A browser sign-in: the cookie holds the id, the store its hash; `csrf` is sent back in a header."""

    id_hash: str
    account_id: str
    csrf: str
    created: datetime
    expires_at: datetime


@dataclass(frozen=True)
class ScimIntegration:
    """An identity provider allowed to provision users and groups through SCIM 2.0. It authenticates with an API
    token of its own service account (`account_id`) and is refused while not `enabled`."""

    id: str
    tenant: str
    description: str
    enabled: bool
    account_id: str
    created: datetime
    updated: datetime


@dataclass(frozen=True)
class ExternalIdentity:
    """Who an identity provider (OIDC, LDAP) says signed in."""

    username: str
    display_name: str
    email: str | None
    groups: tuple[str, ...] | None  # None: the provider said nothing of groups (memberships are left alone)
