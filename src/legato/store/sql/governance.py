"""Namespace secrets (sealed) and the audit log over SQL."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence

from legato.store.audit import AuditQueries
from legato.store.database import Database
from legato.store.ports import (
    AuditEntry,
    AuditFilter,
    AuditRecord,
    SecretRecord,
)
from legato.store.ports.governance import TENANT
from legato.store.secrets import SecretQueries


class SqlSecrets:
    """ports.SecretStore over SQL: a change and its audit entries commit together."""

    def __init__(self, db: Database, audit: AuditQueries):
        self._db = db
        self._secret_q = SecretQueries(db.dialect)
        self._audit_q = audit

    def secret_get(self, namespace: str, key: str, tenant: str = TENANT) -> SecretRecord | None:
        with self._db.read() as conn:
            return self._secret_q.get(conn, tenant, namespace, key)

    def secret_nearest(self, chain: Sequence[str], key: str, tenant: str = TENANT) -> SecretRecord | None:
        with self._db.read() as conn:
            return self._secret_q.nearest(conn, tenant, chain, key)

    def secrets_of(self, namespace: str, tenant: str = TENANT) -> list[SecretRecord]:
        with self._db.read() as conn:
            return self._secret_q.of_namespace(conn, tenant, namespace)

    def secret_put(self, record: SecretRecord, audit: Sequence[AuditEntry] = ()) -> SecretRecord | None:
        with self._db.write() as tx:
            before = self._secret_q.get(tx.conn, record.tenant, record.namespace, record.key)
            self._secret_q.put(tx.conn, record)
            self._audit_q.append(tx.conn, audit)
            return before

    def secret_delete(self, namespace: str, key: str, audit: Sequence[AuditEntry] = (),
                      tenant: str = TENANT) -> SecretRecord | None:
        with self._db.write() as tx:
            before = self._secret_q.get(tx.conn, tenant, namespace, key)
            if before is not None:
                self._secret_q.delete(tx.conn, tenant, namespace, key)
                self._audit_q.append(tx.conn, audit)
            return before

    def secrets_reseal(self, reseal: Callable[[str], str], audit: Sequence[AuditEntry] = ()) -> int:
        with self._db.write() as tx:
            count = self._secret_q.reseal_all(tx.conn, reseal)
            self._audit_q.append(tx.conn, audit)
            return count


class SqlAudit:
    """ports.AuditLog over SQL."""

    def __init__(self, db: Database, audit: AuditQueries):
        self._db = db
        self._audit_q = audit

    def audit_append(self, entries: Sequence[AuditEntry]) -> None:
        if entries:
            self._db.write_or_join(lambda conn: self._audit_q.append(conn, entries))

    @contextlib.contextmanager
    def audited(self, entries: Sequence[AuditEntry]) -> Iterator[None]:
        with self._db.joined(lambda conn: self._audit_q.append(conn, entries)):
            yield

    def audit_search(self, filters: AuditFilter, *, descending: bool = True, limit: int = 100,
                     offset: int = 0) -> tuple[list[AuditRecord], int]:
        with self._db.read() as conn:
            return self._audit_q.search(conn, filters, descending, limit, offset)
