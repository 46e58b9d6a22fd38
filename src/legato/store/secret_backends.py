"""Where namespace secrets live: Legato's database (values sealed with AES-GCM, the default) or HashiCorp
Vault (legato.store.vault), chosen once per process (`use`). Both answer the same port, so the services, the
API, the CLI and `secret()` in expressions never know which one holds the values.

A secret of a namespace is visible to its children (`company` → `company.team`) unless a nearer namespace
has its own secret of that key; `secret('X')` then falls back to Kestra's `SECRET_X` environment form.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from legato import sealing, secrets_env
from legato.store.ports import Governance
from legato.store.ports.governance import TENANT, AuditEntry, SecretRecord
from legato.store.secrets import chain_of


class SecretBackendError(RuntimeError):
    """The secret backend (Vault) cannot be reached or refused the request; the message says which and why."""


@dataclass(frozen=True)
class SecretInfo:
    """A secret without its value: what any listing shows."""

    namespace: str
    key: str
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    updated: datetime | None = None
    updated_by: str | None = None
    tenant: str = TENANT


class SecretBackend(Protocol):
    """The port every secret backend answers."""

    name: str

    def read(self, chain: Sequence[str], key: str, tenant: str) -> tuple[str, str] | None:
        """(the namespace holding it, the plain value) of `key` in the first namespace of `chain` that has it."""
        ...

    def info(self, namespace: str, key: str, tenant: str) -> SecretInfo | None:
        """The secret `key` of exactly `namespace`, without its value."""
        ...

    def list(self, namespace: str, tenant: str) -> list[SecretInfo]:
        """The secrets of exactly `namespace`, by key, without values."""
        ...

    def write(self, info: SecretInfo, value: str | None, audit: Sequence[AuditEntry]) -> SecretInfo | None:
        """Create or replace a secret (`value` None: keep the current value) and record `audit`; the secret it
        replaced."""
        ...

    def delete(self, namespace: str, key: str, tenant: str, audit: Sequence[AuditEntry]) -> SecretInfo | None:
        """Delete a secret and record `audit`; the secret deleted (None: there was none, nothing recorded)."""
        ...

    def forget_tenant(self, tenant: str) -> int:
        """Delete every secret of a deleted `tenant`, so that a tenant made later with its id has none; how many."""
        ...


class DatabaseSecrets:
    """Secrets in the store's `secrets` table, sealed (legato.sealing); audits commit with the write."""

    name = "database"

    def __init__(self, store: Governance):
        self.store = store

    def read(self, chain: Sequence[str], key: str, tenant: str) -> tuple[str, str] | None:
        record = self.store.secret_nearest(chain, key, tenant)
        return (record.namespace, sealing.unseal(record.value)) if record is not None else None

    def info(self, namespace: str, key: str, tenant: str) -> SecretInfo | None:
        record = self.store.secret_get(namespace, key, tenant)
        return _info(record) if record is not None else None

    def list(self, namespace: str, tenant: str) -> list[SecretInfo]:
        return [_info(r) for r in self.store.secrets_of(namespace, tenant)]

    def write(self, info: SecretInfo, value: str | None, audit: Sequence[AuditEntry]) -> SecretInfo | None:
        if value is None:
            current = self.store.secret_get(info.namespace, info.key, info.tenant)
            if current is None:
                raise KeyError(info.key)
            sealed = current.value
        else:
            sealed = sealing.seal(value)
        record = SecretRecord(namespace=info.namespace, key=info.key, value=sealed, description=info.description,
                              tags=dict(info.tags), updated=info.updated, updated_by=info.updated_by,
                              tenant=info.tenant)
        before = self.store.secret_put(record, audit)
        return _info(before) if before is not None else None

    def delete(self, namespace: str, key: str, tenant: str, audit: Sequence[AuditEntry]) -> SecretInfo | None:
        before = self.store.secret_delete(namespace, key, audit, tenant)
        return _info(before) if before is not None else None

    def forget_tenant(self, tenant: str) -> int:
        return 0  # its rows go with the tenant's other rows (`TenantStore.delete_tenant`)


def _info(record: SecretRecord) -> SecretInfo:
    return SecretInfo(namespace=record.namespace, key=record.key, description=record.description,
                      tags=dict(record.tags), updated=record.updated, updated_by=record.updated_by,
                      tenant=record.tenant)


# the process's backend ----------------------------------------------------------------------------------

_lock = threading.Lock()
_factory: Callable[[Governance], SecretBackend] | None = None


def use(factory: Callable[[Governance], SecretBackend] | None) -> None:
    """Make this process keep its secrets in the backend `factory(store)` builds (None: the database)."""
    global _factory
    with _lock:
        _factory = factory


def backend(store: Governance) -> SecretBackend:
    """The process's secret backend over `store` (which keeps the audit log in any case)."""
    with _lock:
        factory = _factory
    return factory(store) if factory is not None else DatabaseSecrets(store)


def resolve(store: Governance, namespace: str, key: Any, *, tenant: str = TENANT,
            on_read: Callable[[str, str], None] | None = None) -> str:
    """`secret(key)` for a flow of `namespace`: the nearest namespace's secret (`on_read(namespace, key)` is
    called when one is found, to audit it), else Kestra's SECRET_<KEY> environment form (ValueError when
    neither has it)."""
    name = str(key)
    found = backend(store).read(chain_of(namespace), name, tenant)
    if found is not None:
        if on_read is not None:
            on_read(found[0], name)
        return found[1]
    try:
        return secrets_env.decoded(name)
    except ValueError:
        raise ValueError(
            f"secret '{name}' not found in namespace '{namespace}' or its parents, nor as SECRET_{name.upper()} "
            "(base64) in the server's environment") from None
