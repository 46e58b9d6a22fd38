"""Roles, groups and bindings, and the resolution of an account's permissions (cached: a request only runs the
pure check of legato.identity.grants over an already resolved principal)."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from legato.identity import grants as grants_
from legato.identity import permissions
from legato.identity.grants import Grants
from legato.identity.permissions import Action, Permission, Resource
from legato.identity.records import Account, Binding, Group, Role, SubjectType
from legato.services.errors import ConflictError, NotFoundError
from legato.services.principal import Principal, require_instance
from legato.store.ports import MAIN, AuditLog, IdentityStore


class AccountPorts(AuditLog, IdentityStore, Protocol):
    """What the access services use: groups, roles and bindings, and the audit log."""


SUBJECT_TYPES: tuple[SubjectType, ...] = ("USER", "GROUP", "SERVICE_ACCOUNT")


@dataclass(frozen=True)
class RoleView:
    """A role as the API and CLI show it: managed (in code) or custom (stored)."""

    id: str
    name: str
    description: str
    permissions: tuple[str, ...]
    managed: bool


class GrantsCache:
    """Resolved grants per account for `ttl` seconds. A change made through this process's services clears it
    at once; one made by another process shows within `ttl`."""

    def __init__(self, ttl: float = 5.0) -> None:
        self.ttl = ttl
        self._entries: dict[tuple[str, str], tuple[float, Grants]] = {}  # (account id, tenant) ->
        self._lock = threading.Lock()

    def get(self, store: AccountPorts, account: Account, tenant: str = MAIN) -> Grants:
        now = time.monotonic()
        entry = self._entries.get((account.id, tenant))
        if entry is not None and entry[0] > now:
            return entry[1]
        resolved = resolve(store, account, tenant)
        with self._lock:
            self._entries[(account.id, tenant)] = (now + self.ttl, resolved)
        return resolved

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


CACHE = GrantsCache()


def role_permissions(store: AccountPorts) -> dict[str, frozenset[Permission]]:
    """Every role id (managed and custom) -> its permissions."""
    found = dict(permissions.MANAGED)
    for role in store.list_roles():
        found[role.id] = frozenset(permissions.parse(p) for p in role.permissions)
    return found


def resolve(store: AccountPorts, account: Account, tenant: str = MAIN) -> Grants:
    """An account's grants in `tenant` from its own bindings there and those of its groups (the instance owner:
    everything, in every tenant)."""
    if account.disabled:
        return grants_.NOTHING
    if account.owner:
        return grants_.OWNER
    subjects = [account.id, *store.groups_of(account.id)]
    roles = role_permissions(store)
    bound = [(roles[b.role_id], b.namespace) for b in store.list_bindings(subjects, tenant=tenant)
             if b.role_id in roles]
    return grants_.resolve(bound)


# roles -----------------------------------------------------------------------------------------------------
def list_roles(store: AccountPorts, *, by: Principal) -> list[RoleView]:
    """The managed roles, then the custom ones by name."""
    require_instance(by, Resource.ROLE, Action.LIST)
    managed = [RoleView(rid, permissions.MANAGED_NAMES[rid], f"Managed role {permissions.MANAGED_NAMES[rid]}",
                        tuple(sorted(permissions.text(p) for p in perms)), True)
               for rid, perms in permissions.MANAGED.items()]
    return managed + [RoleView(r.id, r.name, r.description, r.permissions, False) for r in store.list_roles()]


def get_role(store: AccountPorts, role_id: str, *, by: Principal) -> RoleView:
    require_instance(by, Resource.ROLE, Action.VIEW)
    for role in list_roles(store, by=by):
        if role.id == role_id:
            return role
    raise NotFoundError(f"role '{role_id}' not found")


def _checked(texts: list[str]) -> tuple[str, ...]:
    """Permissions in canonical form; ValueError naming the first unknown one."""
    return tuple(sorted({permissions.text(permissions.parse(t)) for t in texts}))


def create_role(store: AccountPorts, name: str, perms: list[str], description: str = "", *, by: Principal,
                now: datetime) -> RoleView:
    """A custom role; ValueError for an unknown permission, ConflictError when the name is taken."""
    require_instance(by, Resource.ROLE, Action.CREATE)
    if name.lower() in permissions.MANAGED:
        raise ConflictError(f"role '{name}' is a managed role")
    role = Role(uuid.uuid4().hex, name, description, _checked(perms), now, now)
    if not store.create_role(role):
        raise ConflictError(f"a role named '{name}' already exists")
    CACHE.clear()
    return RoleView(role.id, role.name, role.description, role.permissions, False)


def update_role(store: AccountPorts, role_id: str, name: str, perms: list[str], description: str = "", *,
                by: Principal, now: datetime) -> RoleView:
    require_instance(by, Resource.ROLE, Action.UPDATE)
    if role_id in permissions.MANAGED:
        raise ConflictError(f"role '{role_id}' is managed and cannot be changed")
    current = next((r for r in store.list_roles() if r.id == role_id), None)
    if current is None:
        raise NotFoundError(f"role '{role_id}' not found")
    role = replace(current, name=name, description=description, permissions=_checked(perms), updated=now)
    store.update_role(role)
    CACHE.clear()
    return RoleView(role.id, role.name, role.description, role.permissions, False)


def delete_role(store: AccountPorts, role_id: str, *, by: Principal) -> None:
    require_instance(by, Resource.ROLE, Action.DELETE)
    if role_id in permissions.MANAGED:
        raise ConflictError(f"role '{role_id}' is managed and cannot be deleted")
    if not store.delete_role(role_id):
        raise NotFoundError(f"role '{role_id}' not found")
    CACHE.clear()


# groups ----------------------------------------------------------------------------------------------------
def list_groups(store: AccountPorts, *, by: Principal) -> list[Group]:
    require_instance(by, Resource.GROUP, Action.LIST)
    return store.list_groups()


def get_group(store: AccountPorts, group_id: str, *, by: Principal) -> tuple[Group, list[str]]:
    """A group and its members' account ids."""
    require_instance(by, Resource.GROUP, Action.VIEW)
    group = store.get_group(group_id)
    if group is None:
        raise NotFoundError(f"group '{group_id}' not found")
    return group, store.group_members(group_id)


def create_group(store: AccountPorts, name: str, description: str = "", *, by: Principal, now: datetime,
                 external_id: str | None = None) -> Group:
    require_instance(by, Resource.GROUP, Action.CREATE)
    if not name.strip():
        raise ValueError("a group's name must not be empty")
    group = Group(uuid.uuid4().hex, name, description, now, external_id)
    if not store.create_group(group):
        raise ConflictError(f"a group named '{name}' already exists")
    return group


GROUP_FIELDS = frozenset({"name", "description", "external_id"})


def update_group(store: AccountPorts, group_id: str, *, by: Principal, now: datetime, **changes: str | None) -> Group:
    """Rename a group or change its description or external id (the fields given); ConflictError when the new
    name is another group's."""
    require_instance(by, Resource.GROUP, Action.UPDATE)
    if not changes.keys() <= GROUP_FIELDS:
        raise ValueError(f"unknown group fields: {', '.join(sorted(changes.keys() - GROUP_FIELDS))}")
    group = store.get_group(group_id)
    if group is None:
        raise NotFoundError(f"group '{group_id}' not found")
    if changes.get("name") is not None and not str(changes["name"]).strip():
        raise ValueError("a group's name must not be empty")
    if all(getattr(group, field) == value for field, value in changes.items()):
        return group
    try:
        updated = store.update_group(group_id, **changes, updated=now)
    except ValueError as exc:
        raise ConflictError(str(exc)) from None
    if updated is None:
        raise NotFoundError(f"group '{group_id}' not found")
    return updated


def delete_group(store: AccountPorts, group_id: str, *, by: Principal) -> None:
    require_instance(by, Resource.GROUP, Action.DELETE)
    if not store.delete_group(group_id):
        raise NotFoundError(f"group '{group_id}' not found")
    CACHE.clear()


def set_member(store: AccountPorts, group_id: str, account_id: str, member: bool, *, by: Principal) -> None:
    """Add an account to a group or remove it."""
    require_instance(by, Resource.GROUP, Action.UPDATE)
    get_group(store, group_id, by=by)
    if store.get_account(account_id) is None:
        raise NotFoundError(f"user or service account '{account_id}' not found")
    if member:
        store.add_group_member(group_id, account_id)
    elif not store.remove_group_member(group_id, account_id):
        raise NotFoundError(f"'{account_id}' is not a member of group '{group_id}'")
    CACHE.clear()


# bindings --------------------------------------------------------------------------------------------------
def list_bindings(store: AccountPorts, *, by: Principal, tenant: str = MAIN) -> list[Binding]:
    """The bindings of `tenant` (`by` acts in that tenant: its grants are those of its bindings there)."""
    require_instance(by, Resource.BINDING, Action.LIST)
    return store.list_bindings(tenant=tenant)


def create_binding(store: AccountPorts, role_id: str, subject_type: str, subject_id: str, namespace: str | None, *,
                   by: Principal, now: datetime, tenant: str = MAIN) -> Binding:
    """Give a role to a user, group or service account in `tenant`, on the whole tenant (namespace None) or on
    a namespace and its children. NotFoundError when the role or the subject does not exist."""
    require_instance(by, Resource.BINDING, Action.CREATE)
    if subject_type not in SUBJECT_TYPES:
        raise ValueError(f"subject type must be one of {', '.join(SUBJECT_TYPES)}, not {subject_type!r}")
    if role_id not in role_permissions(store):
        raise NotFoundError(f"role '{role_id}' not found")
    _check_subject(store, subject_type, subject_id)
    if namespace is not None and (not namespace or namespace.startswith(".") or namespace.endswith(".")):
        raise ValueError(f"namespace {namespace!r} is not a namespace name")
    binding = Binding(uuid.uuid4().hex, role_id, subject_type, subject_id, namespace, now, tenant)
    store.create_binding(binding)
    CACHE.clear()
    return binding


def _check_subject(store: AccountPorts, subject_type: str, subject_id: str) -> None:
    if subject_type == "GROUP":
        if not any(g.id == subject_id for g in store.list_groups()):
            raise NotFoundError(f"group '{subject_id}' not found")
        return
    account = store.get_account(subject_id)
    if account is None or account.kind != subject_type:
        raise NotFoundError(f"{subject_type.lower().replace('_', ' ')} '{subject_id}' not found")


def delete_binding(store: AccountPorts, binding_id: str, *, by: Principal, tenant: str = MAIN) -> None:
    require_instance(by, Resource.BINDING, Action.DELETE)
    if not store.delete_binding(binding_id, tenant=tenant):
        raise NotFoundError(f"binding '{binding_id}' not found")
    CACHE.clear()
