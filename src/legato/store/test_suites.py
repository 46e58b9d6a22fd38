"""Test suites (their YAML sources) and the results of their runs, per tenant."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, select

from legato.store.dialect import Dialect
from legato.store.ports import SuiteSave, TestResultRecord, TestSuiteRecord
from legato.store.schema import test_results, test_suites

_s = test_suites.c
_r = test_results.c


class TestSuiteQueries:
    """Named queries over the test_suites and test_results tables."""

    __test__ = False

    def __init__(self, dialect: Dialect):
        key = (_s.tenant == bindparam("b_tenant")) & (_s.namespace == bindparam("ns")) & (_s.id == bindparam("suite_id"))
        self._upsert = dialect.upsert(test_suites, ["tenant", "namespace", "id"],
                                      ["flow_id", "source", "disabled", "updated"])
        self._get = select(test_suites).where(key)
        self._delete = delete(test_suites).where(key)
        self._insert_result = dialect.upsert(test_results, ["id"], ["state", "ended", "data"])
        self._result = select(test_results).where(_r.id == bindparam("id"))
        self._history = (select(test_results).where(_r.tenant == bindparam("b_tenant"), _r.namespace == bindparam("ns"),
                                                    _r.suite_id == bindparam("suite_id"))
                         .order_by(_r.started.desc(), _r.id.desc()).limit(bindparam("limit")))

    def save(self, conn: Connection, suite: SuiteSave, now: datetime, tenant: str) -> TestSuiteRecord:
        """Insert or replace a suite's source."""
        conn.execute(self._upsert, {"tenant": tenant, "namespace": suite.namespace, "id": suite.id,
                                    "flow_id": suite.flow_id, "source": suite.source, "disabled": suite.disabled,
                                    "updated": now})
        return TestSuiteRecord(suite.namespace, suite.id, suite.flow_id, suite.source, suite.disabled, now, tenant)

    def get(self, conn: Connection, namespace: str, suite_id: str, tenant: str) -> TestSuiteRecord | None:
        """One suite, or None."""
        row = conn.execute(self._get, {"b_tenant": tenant, "ns": namespace, "suite_id": suite_id}).first()
        return _suite(row) if row else None

    def find(self, conn: Connection, namespace: str | None, flow_id: str | None, tenant: str) -> list[TestSuiteRecord]:
        """A tenant's suites in `namespace` (or any), of `flow_id` (or any), by namespace and id."""
        query = select(test_suites).where(_s.tenant == tenant)
        if namespace is not None:
            query = query.where(_s.namespace == namespace)
        if flow_id is not None:
            query = query.where(_s.flow_id == flow_id)
        return [_suite(r) for r in conn.execute(query.order_by(_s.namespace, _s.id))]

    def delete(self, conn: Connection, namespace: str, suite_id: str, tenant: str) -> bool:
        """Delete one suite (its results stay); True when it existed."""
        return conn.execute(self._delete, {"b_tenant": tenant, "ns": namespace, "suite_id": suite_id}).rowcount == 1

    def add_result(self, conn: Connection, result: TestResultRecord) -> None:
        """Record (or replace) one run of a suite."""
        conn.execute(self._insert_result, {"id": result.id, "tenant": result.tenant, "namespace": result.namespace,
                                           "suite_id": result.suite_id,
                                           "flow_id": result.flow_id, "state": result.state, "started": result.started,
                                           "ended": result.ended, "data": result.data})

    def result(self, conn: Connection, result_id: str) -> TestResultRecord | None:
        """One run, or None."""
        row = conn.execute(self._result, {"id": result_id}).first()
        return _result(row) if row else None

    def history(self, conn: Connection, namespace: str, suite_id: str, limit: int, tenant: str) -> list[TestResultRecord]:
        """A suite's runs, newest first."""
        rows = conn.execute(self._history, {"b_tenant": tenant, "ns": namespace, "suite_id": suite_id, "limit": limit})
        return [_result(r) for r in rows]

    def replace(self, conn: Connection, saves: Sequence[SuiteSave], deletions: Sequence[tuple[str, str]],
                now: datetime, tenant: str) -> None:
        """Delete then save a tenant's suites (part of a namespace's deploy)."""
        for namespace, suite_id in deletions:
            self.delete(conn, namespace, suite_id, tenant)
        for suite in sorted(saves, key=lambda s: (s.namespace, s.id)):
            self.save(conn, suite, now, tenant)


def _suite(row: Row[Any]) -> TestSuiteRecord:
    return TestSuiteRecord(row.namespace, row.id, row.flow_id, row.source, bool(row.disabled), row.updated, row.tenant)


def _result(row: Row[Any]) -> TestResultRecord:
    return TestResultRecord(row.id, row.namespace, row.suite_id, row.flow_id, row.state, row.started, row.ended,
                            dict(row.data), row.tenant)
