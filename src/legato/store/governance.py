"""The store's governance aggregate: namespace secrets and the audit log (a mixin of SqlStore)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime

from legato.store.audit import AuditQueries
from legato.store.database import Database
from legato.store.ports.governance import TENANT, AuditEntry, AuditFilter, AuditRecord, SecretRecord
from legato.store.secrets import SecretQueries


class GovernanceStore:
    """Secrets and audit entries over the store's database."""

    _db: Database
    _secret_q: SecretQueries | None = None
    _audit_q: AuditQueries = AuditQueries()

    def _secrets(self) -> SecretQueries:
        if self._secret_q is None:
            self._secret_q = SecretQueries(self._db.dialect)
        return self._secret_q

    # secrets -----------------------------------------------------------------------------------------
    def secret_get(self, namespace: str, key: str, tenant: str = TENANT) -> SecretRecord | None:
        with self._db.read() as conn:
            return self._secrets().get(conn, tenant, namespace, key)

    def secret_nearest(self, chain: Sequence[str], key: str, tenant: str = TENANT) -> SecretRecord | None:
        with self._db.read() as conn:
            return self._secrets().nearest(conn, tenant, chain, key)

    def secrets_of(self, namespace: str, tenant: str = TENANT) -> list[SecretRecord]:
        with self._db.read() as conn:
            return self._secrets().of_namespace(conn, tenant, namespace)

    def secret_put(self, record: SecretRecord, audit: Sequence[AuditEntry] = ()) -> SecretRecord | None:
        with self._db.write() as tx:
            before = self._secrets().get(tx.conn, record.tenant, record.namespace, record.key)
            self._secrets().put(tx.conn, record)
            self._audit_q.append(tx.conn, audit)
            return before

    def secret_delete(self, namespace: str, key: str, audit: Sequence[AuditEntry] = (),
                      tenant: str = TENANT) -> SecretRecord | None:
        with self._db.write() as tx:
            before = self._secrets().get(tx.conn, tenant, namespace, key)
            if before is not None:
                self._secrets().delete(tx.conn, tenant, namespace, key)
                self._audit_q.append(tx.conn, audit)
            return before

    def secrets_reseal(self, reseal: Callable[[str], str], audit: Sequence[AuditEntry] = ()) -> int:
        with self._db.write() as tx:
            count = self._secrets().reseal_all(tx.conn, reseal)
            self._audit_q.append(tx.conn, audit)
            return count

    # audit log ---------------------------------------------------------------------------------------
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

    def purge_audit(self, before: datetime, limit: int = 500) -> int:
        with self._db.write() as tx:
            return self._audit_q.purge(tx.conn, before, limit)
