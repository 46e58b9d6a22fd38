"""Tenants: create, list, read, rename and delete them. Managing tenants is for the instance owner and for
admins of `main` (TENANT permissions on the whole of `main`); `main` always exists and cannot be deleted."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Protocol

from legato.identity.permissions import Action, Resource
from legato.services import access, audit
from legato.services.errors import ConflictError, ForbiddenError, NotFoundError
from legato.services.principal import Principal, require_instance
from legato.storage import tenants as tenant_storage
from legato.storage.port import Storage
from legato.storage.uris import build_uri
from legato.store import secret_backends
from legato.store.ports import MAIN, IdentityStore, TenantInUse, TenantRecord, TenantStore
from legato.store.ports.governance import Governance

# A tenant id is a path segment and a storage prefix: lower-case letters, digits, `-` and `_`, 2 to 64 long.
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{1,63}$")
# Ids that would read as one of the API's own path segments (`/api/v1/tenants/...`, `/api/v1/me`...), or as one
# of the web UI's sections (`/ui/flows` is a page of `main`, `/ui/<tenant>/flows` one of another tenant).
API_SEGMENTS = frozenset({"tenants", "me", "login", "logout", "auth", "configs", "users", "plugins"})
UI_SECTIONS = frozenset({"dashboard", "dashboards", "flows", "apps", "assets", "executions", "triggers", "namespaces",
                         "blueprints", "plugins", "audit", "account", "admin", "settings", "login"})
RESERVED = API_SEGMENTS | UI_SECTIONS


class TenantPorts(TenantStore, Governance, Protocol):
    """What the tenant services use (the secrets: a deleted tenant's go, wherever the backend keeps them)."""


class ReachPorts(IdentityStore, TenantStore, Protocol):
    """What finding the tenants a caller can reach uses."""


def _manage(by: Principal, action: Action) -> None:
    """Tenants are managed from `main` (the instance's own tenant): an admin bound in another tenant is not."""
    if by.tenant != MAIN and not by.grants.owner:
        raise ForbiddenError(Resource.TENANT.value, action.value, None, instance=True)
    require_instance(by, Resource.TENANT, action)


def check_id(tenant_id: str) -> str:
    """`tenant_id` when it can name a tenant; ValueError saying why not."""
    if not _ID.match(tenant_id):
        raise ValueError(f"tenant id {tenant_id!r} must be 2 to 64 lower-case letters, digits, '-' or '_', "
                         "starting with a letter or a digit")
    if tenant_id in RESERVED:
        raise ValueError(f"tenant id {tenant_id!r} is reserved")
    return tenant_id


def _name(display_name: str | None, tenant_id: str) -> str:
    name = (display_name or tenant_id).strip()
    if not name or len(name) > 255:
        raise ValueError("a tenant's name must be 1 to 255 characters")
    return name


def create_tenant(store: TenantPorts, tenant_id: str, display_name: str | None = None, *, by: Principal,
                  now: datetime) -> TenantRecord:
    """Register a tenant; ConflictError when the id is taken."""
    _manage(by, Action.CREATE)
    record = TenantRecord(check_id(tenant_id), _name(display_name, tenant_id), now, now)
    if not store.create_tenant(record):
        raise ConflictError(f"tenant '{tenant_id}' already exists")
    audit.record(store, by, "CREATE", "TENANT", tenant_id, details={"after": {"name": record.display_name}}, now=now)
    return record


def list_tenants(store: TenantPorts, *, by: Principal) -> list[TenantRecord]:
    """Every tenant, `main` first."""
    _manage(by, Action.LIST)
    return store.list_tenants()


def reachable(store: ReachPorts, by: Principal) -> list[TenantRecord]:
    """The tenants `by` may open, `main` first: every one for the instance owner (and while authentication is
    off), else those where the account or one of its groups has a binding. Needs no permission: it tells the
    caller about its own access only (the web UI's tenant switcher)."""
    every = store.list_tenants()
    if by.grants.owner:
        return every
    if by.id is None:
        return []
    bound = set(store.binding_tenants([by.id, *store.groups_of(by.id)]))
    return [t for t in every if t.id in bound]


def get_tenant(store: TenantPorts, tenant_id: str, *, by: Principal) -> TenantRecord:
    _manage(by, Action.VIEW)
    found = store.get_tenant(tenant_id)
    if found is None:
        raise NotFoundError(f"tenant '{tenant_id}' not found")
    return found


def rename_tenant(store: TenantPorts, tenant_id: str, display_name: str, *, by: Principal,
                  now: datetime) -> TenantRecord:
    """Change the name people read; the id never changes."""
    _manage(by, Action.UPDATE)
    before = get_tenant(store, tenant_id, by=by)
    name = _name(display_name, tenant_id)
    with audit.action(store, by, "UPDATE", "TENANT", tenant_id, now=now,
                      details={"before": {"name": before.display_name}, "after": {"name": name}}):
        renamed = store.rename_tenant(tenant_id, name, now)
    if renamed is None:
        raise NotFoundError(f"tenant '{tenant_id}' not found")
    return renamed


def delete_tenant(store: TenantPorts, tenant_id: str, *, by: Principal, now: datetime,
                  storage: Storage | None = None) -> None:
    """Remove a tenant that holds no flow and no running execution, with everything it holds but its audit log
    (rows, and its files in `storage` when given), so that a tenant made later with the same id starts empty: no
    binding, secret or KV entry of the old one reaches it. ConflictError while it holds flows or running
    executions (and for `main`)."""
    _manage(by, Action.DELETE)
    if tenant_id == MAIN:
        raise ConflictError("the tenant 'main' always exists")
    try:
        deleted = store.delete_tenant(tenant_id)
    except TenantInUse as exc:
        raise ConflictError(str(exc)) from None
    if not deleted:
        raise NotFoundError(f"tenant '{tenant_id}' not found")
    access.CACHE.clear()  # its bindings are gone
    secret_backends.backend(store).forget_tenant(tenant_id)  # a backend outside the database (Vault) too
    if storage is not None:
        storage.delete_prefix(build_uri(tenant_storage.ROOT, tenant_id))
    audit.record(store, by, "DELETE", "TENANT", tenant_id, now=now)
