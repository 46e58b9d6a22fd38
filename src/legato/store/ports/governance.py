"""The governance aggregate: namespace secrets sealed at rest (SecretStore) and the audit log (AuditLog)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

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


class AuditLog(Protocol):
    def audit_append(self, entries: Sequence[AuditEntry]) -> None:
        """Append audit entries: in the write transaction this thread is in (an executor's render), else in one
        of their own."""
        ...

    def audited(self, entries: Sequence[AuditEntry]) -> contextlib.AbstractContextManager[None]:
        """Within the block, the first write transaction of this thread also appends `entries` (they commit
        or roll back with it); a block that writes nothing appends them on its own when it ends without error."""
        ...

    def audit_search(self, filters: AuditFilter, *, descending: bool = True, limit: int = 100,
                     offset: int = 0) -> tuple[list[AuditRecord], int]:
        """One page of the matching audit entries (newest first by default) and how many match in all."""
        ...


class SecretStore(Protocol):
    def secret_get(self, namespace: str, key: str, tenant: str = TENANT) -> SecretRecord | None:
        """The secret `key` of exactly `namespace`."""
        ...

    def secret_nearest(self, chain: Sequence[str], key: str, tenant: str = TENANT) -> SecretRecord | None:
        """The secret `key` of the first namespace of `chain` (a namespace, then its parents) holding one."""
        ...

    def secrets_of(self, namespace: str, tenant: str = TENANT) -> list[SecretRecord]:
        """The secrets of exactly `namespace`, by key."""
        ...

    def secret_put(self, record: SecretRecord, audit: Sequence[AuditEntry] = ()) -> SecretRecord | None:
        """Create or replace a secret and append `audit`, in one transaction; the secret it replaced."""
        ...

    def secret_delete(self, namespace: str, key: str, audit: Sequence[AuditEntry] = (),
                      tenant: str = TENANT) -> SecretRecord | None:
        """Delete a secret and append `audit` in one transaction; the secret deleted (None: nothing was)."""
        ...

    def secrets_reseal(self, reseal: Callable[[str], str], audit: Sequence[AuditEntry] = ()) -> int:
        """Replace every secret's sealed value, and every sealed SECRET input of a stored execution, by
        `reseal(value)` in ONE transaction (all or nothing); how many secrets."""
        ...


class Governance(SecretStore, AuditLog, Protocol):
    """Secrets with the audit log their reads and changes append to (the secret backends)."""
