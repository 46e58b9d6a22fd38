"""The values of the governance ports: namespace secrets (sealed at rest) and audit log entries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

TENANT = "main"  # the one tenant until multi-tenancy lands; Kestra's default


@dataclass(frozen=True)
class SecretRecord:
    """A namespace secret as stored: `value` is sealed (legato.sealing), never plain text."""

    namespace: str
    key: str
    value: str
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    updated: datetime | None = None
    updated_by: str | None = None
    tenant: str = TENANT


@dataclass(frozen=True)
class AuditEntry:
    """One audited action: who (`actor_kind`/`actor`, from `ip` with `token_id`), when (`at`), what
    (`action` on `resource` `resource_id` in `namespace`) and the change (`details`: before/after or a diff)."""

    at: datetime
    action: str  # CREATE, UPDATE, DELETE, READ, EXECUTE, KILL, ... (upper case)
    resource: str  # Kestra's resource names: FLOW, EXECUTION, TRIGGER, SECRET, KVSTORE, ...
    resource_id: str
    actor_kind: str
    actor: str
    namespace: str | None = None
    ip: str | None = None
    token_id: str | None = None
    details: dict[str, Any] | None = None
    tenant: str = TENANT


@dataclass(frozen=True)
class AuditRecord:
    """A stored audit entry with its id (increasing in insertion order)."""

    id: int
    entry: AuditEntry


@dataclass(frozen=True)
class AuditFilter:
    """Which audit entries to list: each given field narrows the search (`namespace` includes its children)."""

    resource: str | None = None
    namespace: str | None = None
    actor: str | None = None
    action: str | None = None
    resource_id: str | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive
    after_id: int | None = None  # only entries appended after this one (the syslog shipper's cursor)
    tenant: str = TENANT
