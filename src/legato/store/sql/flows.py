"""The flow aggregate over SQL: flows with their revisions, and the flow unit test suites."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection

from legato.store.database import Database
from legato.store.ports import (
    AppRecord,
    DeployJournal,
    FlowRecord,
    FlowSave,
    SuiteSave,
    TestResultRecord,
    TestSuiteRecord,
)
from legato.store.ports.tenants import MAIN
from legato.store.queries import Queries


class SqlFlows:
    """ports.FlowStore over SQL."""

    def __init__(self, db: Database, q: Queries):
        self._db = db
        self._q = q

    def save_flow(self, namespace: str, flow_id: str, source: str, *, disabled: bool, now: datetime,
                  tenant: str = MAIN) -> FlowRecord:
        with self._db.write() as tx:
            return self._q.flows.save(tx.conn, namespace, flow_id, source, disabled, now, tenant)

    def get_flow(self, namespace: str, flow_id: str, revision: int | None = None, *,
                 tenant: str = MAIN) -> FlowRecord | None:
        with self._db.read() as conn:
            return self._q.flows.get(conn, namespace, flow_id, revision, tenant)

    def list_flows(self, namespace: str | None = None, *, tenant: str = MAIN) -> list[FlowRecord]:
        with self._db.read() as conn:
            return self._q.flows.live(conn, namespace, tenant)

    def every_tenant_flows(self) -> list[FlowRecord]:
        with self._db.read() as conn:
            return self._q.flows.every_tenant(conn)

    def delete_flow(self, namespace: str, flow_id: str, now: datetime, *, tenant: str = MAIN) -> bool:
        with self._db.write() as tx:
            return self._delete(tx.conn, namespace, flow_id, now, tenant)

    def _delete(self, conn: Connection, namespace: str, flow_id: str, now: datetime, tenant: str) -> bool:
        """Mark the flow deleted and forget its triggers' state, in the caller's transaction; its executions stay."""
        if not self._q.flows.delete(conn, namespace, flow_id, now, tenant):
            return False
        self._q.triggers.forget_flow(conn, namespace, flow_id, tenant)
        return True

    def replace_flows(self, saves: list[FlowSave], deletions: list[tuple[str, str]], now: datetime, *,
                      suites: Sequence[SuiteSave] = (), suite_deletions: Sequence[tuple[str, str]] = (),
                      apps: Sequence[AppRecord] = (), app_deletions: Sequence[str] = (),
                      journal: DeployJournal | None = None, tenant: str = MAIN) -> list[FlowRecord]:
        saved: dict[tuple[str, str], FlowRecord] = {}
        with self._db.write() as tx:
            for namespace, flow_id in deletions:
                self._delete(tx.conn, namespace, flow_id, now, tenant)
            # flows are locked in (namespace, id) order, so two bulk saves at once cannot deadlock
            for f in sorted(saves, key=lambda f: (f.namespace, f.id)):
                saved[(f.namespace, f.id)] = self._q.flows.save(tx.conn, f.namespace, f.id, f.source, f.disabled,
                                                                now, tenant)
            self._q.test_suites.replace(tx.conn, suites, suite_deletions, now, tenant)
            # apps last: an app opens a flow, which is then already saved in this transaction
            for app_id in app_deletions:
                self._q.apps.delete(tx.conn, tenant, app_id)
            for app in apps:
                self._q.apps.save(tx.conn, app)
            if journal is not None:
                self._q.deploy_journals.commit(tx.conn, journal)
        return [saved[(f.namespace, f.id)] for f in saves]

    def flow_revisions(self, namespace: str, flow_id: str, *, tenant: str = MAIN) -> list[FlowRecord]:
        with self._db.read() as conn:
            return self._q.flows.revisions(conn, namespace, flow_id, tenant)


class SqlDeployJournals:
    """ports.DeployJournalStore over SQL (journals are committed by SqlFlows.replace_flows)."""

    def __init__(self, db: Database, q: Queries):
        self._db = db
        self._q = q

    def open_deploy_journal(self, journal_id: str, namespace: str, staging: str, now: datetime, *,
                            tenant: str = MAIN) -> None:
        with self._db.write() as tx:
            self._q.deploy_journals.open(tx.conn, journal_id, tenant, namespace, staging, now)

    def abandon_deploy_journals(self, journal_id: str | None = None) -> list[str]:
        with self._db.write() as tx:
            return self._q.deploy_journals.abandon(tx.conn, journal_id)

    def deploy_journals(self, namespace: str | None = None, *, tenant: str | None = None) -> list[DeployJournal]:
        with self._db.read() as conn:
            return self._q.deploy_journals.committed(conn, namespace, tenant)

    def delete_deploy_journal(self, journal_id: str) -> bool:
        with self._db.write() as tx:
            return self._q.deploy_journals.delete(tx.conn, journal_id)


class SqlSuites:
    """ports.SuiteStore over SQL."""

    def __init__(self, db: Database, q: Queries):
        self._db = db
        self._q = q

    def save_test_suite(self, suite: SuiteSave, now: datetime, *, tenant: str = MAIN) -> TestSuiteRecord:
        with self._db.write() as tx:
            return self._q.test_suites.save(tx.conn, suite, now, tenant)

    def get_test_suite(self, namespace: str, suite_id: str, *, tenant: str = MAIN) -> TestSuiteRecord | None:
        with self._db.read() as conn:
            return self._q.test_suites.get(conn, namespace, suite_id, tenant)

    def list_test_suites(self, namespace: str | None = None, flow_id: str | None = None, *,
                         tenant: str = MAIN) -> list[TestSuiteRecord]:
        with self._db.read() as conn:
            return self._q.test_suites.find(conn, namespace, flow_id, tenant)

    def delete_test_suite(self, namespace: str, suite_id: str, *, tenant: str = MAIN) -> bool:
        with self._db.write() as tx:
            return self._q.test_suites.delete(tx.conn, namespace, suite_id, tenant)

    def add_test_result(self, result: TestResultRecord) -> None:
        with self._db.write() as tx:
            self._q.test_suites.add_result(tx.conn, result)

    def get_test_result(self, result_id: str, *, tenant: str = MAIN) -> TestResultRecord | None:
        with self._db.read() as conn:
            found = self._q.test_suites.result(conn, result_id)
        return found if found is not None and found.tenant == tenant else None

    def test_results(self, namespace: str, suite_id: str, limit: int = 20, *,
                     tenant: str = MAIN) -> list[TestResultRecord]:
        with self._db.read() as conn:
            return self._q.test_suites.history(conn, namespace, suite_id, limit, tenant)
