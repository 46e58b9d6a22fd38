"""The tenant registry: which tenants exist. `main` always exists (without a row), so an install that never
created a tenant works as before; every other tenant is a row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

MAIN = "main"  # the default tenant: Kestra's OSS tenant, the one of un-prefixed paths and of existing data


@dataclass(frozen=True)
class TenantRecord:
    """A tenant: its id (in API paths and storage prefixes) and the name people read."""

    id: str
    display_name: str
    created: datetime | None = None
    updated: datetime | None = None


class TenantStore(Protocol):
    """Registered tenants (`main` included, whether it has a row or not)."""

    def create_tenant(self, record: TenantRecord) -> bool:
        """Register a tenant; False when the id is taken (`main` always is)."""
        ...

    def get_tenant(self, tenant_id: str) -> TenantRecord | None: ...

    def list_tenants(self) -> list[TenantRecord]:
        """Every tenant by id, `main` first."""
        ...

    def rename_tenant(self, tenant_id: str, display_name: str, now: datetime) -> TenantRecord | None:
        """Change a tenant's display name; None when there is no such tenant."""
        ...

    def delete_tenant(self, tenant_id: str) -> bool:
        """Remove a tenant that holds no live flow and no execution still running (checked in the same
        transaction), with every row it holds but its audit log: deleted flows' revisions, executions with their
        task runs and logs, KV, trigger states, test suites, secrets, bindings, dashboards, apps, assets, SCIM
        integrations. False when it did not exist; TenantInUse when it still holds flows or running executions."""
        ...


class TenantInUse(Exception):
    """The tenant still holds live flows, or executions that have not ended."""
