"""SCIM integrations: an identity provider (Okta, Microsoft Entra ID, Keycloak...) allowed to provision users and
groups. Each integration acts as a service account of its own, created with it and bound on the instance to the
custom role `SCIM provisioning` (USER and GROUP, every action: the access-management permissions SCIM needs and no
others); its API token, shown once, is the bearer token the provider sends. A disabled integration is refused
even with its token; deleting one deletes its service account and so its token."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from legato.identity import permissions
from legato.identity.permissions import Action, Resource
from legato.identity.records import ScimIntegration
from legato.services import access, audit, identity
from legato.services.errors import AuthenticationError, NotFoundError
from legato.services.principal import Principal, require_instance
from legato.store.ports import AuditLog, IdentityStore
from legato.store.ports.governance import TENANT


class ScimPorts(AuditLog, IdentityStore, Protocol):
    """What SCIM uses: accounts, groups, roles, bindings, tokens, integrations and the audit log."""


ROLE_NAME = "SCIM provisioning"
ROLE_PERMISSIONS = [permissions.text((r, a)) for r in (Resource.USER, Resource.GROUP) for a in permissions.CRUD]
RESOURCE = "SCIM_INTEGRATION"  # its name in the audit log


@dataclass(frozen=True)
class CreatedIntegration:
    """A new integration and its bearer token (`token`, shown once and never again)."""

    integration: ScimIntegration
    token: str


def _role_id(store: ScimPorts, by: Principal, now: datetime) -> str:
    """The id of the `SCIM provisioning` role, created the first time."""
    found = next((r for r in store.list_roles() if r.name == ROLE_NAME), None)
    if found is not None:
        return found.id
    return access.create_role(store, ROLE_NAME, ROLE_PERMISSIONS, "What SCIM integrations may do: provision users "
                              "and groups", by=by, now=now).id


def create_integration(store: ScimPorts, description: str = "", *, by: Principal, now: datetime) -> CreatedIntegration:
    """A new, enabled integration with its service account, role binding and token."""
    require_instance(by, Resource.SERVICE_ACCOUNT, Action.CREATE)
    integration_id = uuid.uuid4().hex
    account = identity.create_account(store, "SERVICE_ACCOUNT", f"scim-{integration_id}", by=by, now=now,
                                      description=f"SCIM integration {integration_id}: {description}".rstrip(": "))
    access.create_binding(store, _role_id(store, by, now), "SERVICE_ACCOUNT", account.id, None, by=by, now=now)
    issued = identity.create_token(store, account.id, "scim", by=by, now=now, description="SCIM bearer token")
    integration = ScimIntegration(integration_id, TENANT, description, True, account.id, now, now)
    with audit.action(store, by, "CREATE", RESOURCE, integration_id, now=now,
                      details={"description": description, "serviceAccount": account.name}):
        store.create_scim_integration(integration)
    return CreatedIntegration(integration, issued.text)


def list_integrations(store: ScimPorts, *, by: Principal) -> list[ScimIntegration]:
    require_instance(by, Resource.SERVICE_ACCOUNT, Action.LIST)
    return store.list_scim_integrations()


def get_integration(store: ScimPorts, integration_id: str, *, by: Principal) -> ScimIntegration:
    require_instance(by, Resource.SERVICE_ACCOUNT, Action.VIEW)
    return _found(store, integration_id)


def _found(store: ScimPorts, integration_id: str) -> ScimIntegration:
    found = store.get_scim_integration(integration_id)
    if found is None:
        raise NotFoundError(f"SCIM integration '{integration_id}' not found")
    return found


def update_integration(store: ScimPorts, integration_id: str, *, enabled: bool | None = None,
                       description: str | None = None, by: Principal, now: datetime) -> ScimIntegration:
    """Enable or disable an integration, or change its description."""
    require_instance(by, Resource.SERVICE_ACCOUNT, Action.UPDATE)
    before = _found(store, integration_id)
    changes = {k: v for k, v in (("enabled", enabled), ("description", description)) if v is not None}
    if not changes or all(getattr(before, k) == v for k, v in changes.items()):
        return before
    with audit.action(store, by, "UPDATE", RESOURCE, integration_id, now=now,
                      details={k: audit.changed(getattr(before, k), v) for k, v in changes.items()}):
        updated = store.update_scim_integration(integration_id, **changes, updated=now)
    assert updated is not None
    return updated


def delete_integration(store: ScimPorts, integration_id: str, *, by: Principal, now: datetime) -> None:
    """Remove an integration and its service account (with its token)."""
    require_instance(by, Resource.SERVICE_ACCOUNT, Action.DELETE)
    found = _found(store, integration_id)
    with audit.action(store, by, "DELETE", RESOURCE, integration_id, now=now):
        store.delete_scim_integration(integration_id)
    if store.get_account(found.account_id) is not None:
        identity.delete_account(store, "SERVICE_ACCOUNT", found.account_id, by=by)


def acting_integration(store: ScimPorts, integration_id: str, by: Principal) -> ScimIntegration:
    """The integration a SCIM request addresses, when `by` is its service account and it is enabled:
    NotFoundError when there is none, AuthenticationError when the token is another's or it is disabled."""
    found = _found(store, integration_id)
    if by.id is None or by.id != found.account_id:
        raise AuthenticationError(f"this is not the token of SCIM integration '{integration_id}'")
    if not found.enabled:
        raise AuthenticationError(f"SCIM integration '{integration_id}' is disabled")
    return found
