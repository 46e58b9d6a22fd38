"""Who acts: every service function takes the acting principal and checks its permission itself."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from legato.identity import grants as grants_
from legato.identity.grants import Grants, covers
from legato.identity.permissions import Action, Resource
from legato.services.errors import ForbiddenError
from legato.store.ports.tenants import MAIN

Kind = Literal["system", "anonymous", "user", "service_account"]


@dataclass(frozen=True)
class Principal:
    """The acting identity: the server itself (CLI, triggers, tasks), an anonymous API caller (no authentication
    configured: full access, as before users existed), a user or a service account. `grants` are its resolved
    permissions in `tenant`, the tenant it acts in (the services read and write that tenant's flows,
    executions, KV...); `id` its account id, `token_id` the API token it came with, `ip` the client's address."""

    kind: Kind
    name: str
    id: str | None = None
    grants: Grants = grants_.NOTHING
    token_id: str | None = None
    ip: str | None = None
    tenant: str = MAIN

    def __str__(self) -> str:
        return self.name if self.kind in ("user", "service_account") else self.kind

    def can(self, resource: Resource, action: Action, namespace: str | None = None) -> bool:
        """Whether it may do `action` on `resource` (in `namespace`, or on some namespace when None)."""
        return self.grants.allows(resource, action, namespace)


SYSTEM = Principal("system", "system", grants=grants_.OWNER)
ANONYMOUS = Principal("anonymous", "anonymous", grants=grants_.OWNER)
# A caller of a public route (a webhook) while authentication is on: may do nothing but what that route does.
NOBODY = Principal("anonymous", "anonymous")


def user(name: str) -> Principal:
    """The principal of the configured basic-auth user: the instance owner."""
    return Principal("user", name, grants=grants_.OWNER)


def in_tenant(by: Principal, tenant: str) -> Principal:
    """`by` acting in `tenant`, with the same grants (the caller resolves grants per tenant when they differ)."""
    return by if by.tenant == tenant else replace(by, tenant=tenant)


def require(by: Principal, resource: Resource, action: Action, namespace: str | None = None) -> None:
    """ForbiddenError naming the missing permission unless `by` has it (on `namespace` when given)."""
    if not by.grants.allows(resource, action, namespace):
        raise ForbiddenError(resource.value, action.value, namespace)


def require_instance(by: Principal, resource: Resource, action: Action) -> None:
    """ForbiddenError unless `by` has the permission on the whole instance (users, roles, bindings...)."""
    if not by.grants.allows_instance(resource, action):
        raise ForbiddenError(resource.value, action.value, None, instance=True)


def visible(by: Principal, resource: Resource, action: Action, namespace: str) -> bool:
    """Whether a listed item of `namespace` may be shown to `by`."""
    return by.grants.allows(resource, action, namespace)


def search_scope(by: Principal, resource: Resource, action: Action,
                 namespace: str | None) -> tuple[str | None, tuple[str, ...] | None]:
    """What a search by `by` may cover: (the namespace asked for, the namespaces it is limited to or None when
    not limited). Limited to the namespaces `by` is bound on (inside `namespace` when one was asked for);
    ForbiddenError when none of them is inside it."""
    scopes = by.grants.namespaces(resource, action)
    if scopes is None or (namespace is not None and any(covers(scope, namespace) for scope in scopes)):
        return namespace, None
    inner = tuple(s for s in scopes if namespace is None or covers(namespace, s))
    if not inner:
        raise ForbiddenError(resource.value, action.value, namespace)
    return namespace, inner
