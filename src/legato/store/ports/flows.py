"""The flow aggregate: flow revisions (FlowStore) and the flow unit test suites with their results (SuiteStore)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from legato.store.ports.apps import AppRecord
from legato.store.ports.deploys import DeployJournal
from legato.store.ports.tenants import MAIN


@dataclass(frozen=True)
class FlowRecord:
    namespace: str
    id: str
    revision: int
    source: str
    disabled: bool
    deleted: bool
    updated: datetime
    tenant: str = MAIN


@dataclass(frozen=True)
class FlowSave:
    """A flow to store: its identity, its source and whether it is disabled."""

    namespace: str
    id: str
    source: str
    disabled: bool


@dataclass(frozen=True)
class TestSuiteRecord:
    """A stored flow unit test suite: its YAML source and the flow it tests."""

    __test__ = False

    namespace: str
    id: str
    flow_id: str
    source: str
    disabled: bool
    updated: datetime
    tenant: str = MAIN


@dataclass(frozen=True)
class SuiteSave:
    """A test suite to store."""

    namespace: str
    id: str
    flow_id: str
    source: str
    disabled: bool = False


@dataclass(frozen=True)
class TestResultRecord:
    """One run of a test suite: state, dates and (in `data`) the results of its cases."""

    __test__ = False

    id: str
    namespace: str
    suite_id: str
    flow_id: str
    state: str
    started: datetime
    ended: datetime
    data: dict[str, Any]
    tenant: str = MAIN


class FlowReader(Protocol):
    """Reading deployed flows (what the worker and the flow cache need); each call sees one tenant's flows."""

    def get_flow(self, namespace: str, flow_id: str, revision: int | None = None, *,
                 tenant: str = MAIN) -> FlowRecord | None: ...

    def list_flows(self, namespace: str | None = None, *, tenant: str = MAIN) -> list[FlowRecord]: ...

    def every_tenant_flows(self) -> list[FlowRecord]:
        """The live flows of every tenant, by tenant, namespace and id (the scheduler's and trigger sources' view,
        never a user's: each record names its tenant)."""
        ...


class FlowStore(FlowReader, Protocol):
    """Flows and their immutable revisions, per tenant."""

    def save_flow(self, namespace: str, flow_id: str, source: str, *, disabled: bool, now: datetime,
                  tenant: str = MAIN) -> FlowRecord:
        """Store `source` as a new revision when it differs from the latest; return the latest."""
        ...

    def delete_flow(self, namespace: str, flow_id: str, now: datetime, *, tenant: str = MAIN) -> bool:
        """Mark the latest revision deleted and forget its triggers' state (executions stay); False when not live."""
        ...

    def replace_flows(self, saves: list[FlowSave], deletions: list[tuple[str, str]], now: datetime, *,
                      suites: Sequence[SuiteSave] = (), suite_deletions: Sequence[tuple[str, str]] = (),
                      apps: Sequence[AppRecord] = (), app_deletions: Sequence[str] = (),
                      journal: DeployJournal | None = None, tenant: str = MAIN) -> list[FlowRecord]:
        """Save every flow of `saves` (as save_flow) and delete the (namespace, id) of `deletions` in `tenant`,
        and the same for test suites and apps (records of `tenant`, ids to delete), and commit `journal` (opened
        with open_deploy_journal: the namespace files the deploy owes; JournalAbandoned, nothing written, when it
        was abandoned meanwhile), in one transaction; the saved flow records in the order of `saves`."""
        ...

    def flow_revisions(self, namespace: str, flow_id: str, *, tenant: str = MAIN) -> list[FlowRecord]:
        """Every stored revision of the flow, oldest first (deleted or not)."""
        ...


class SuiteStore(Protocol):
    """Flow unit test suites and the results of their runs, per tenant."""

    def save_test_suite(self, suite: SuiteSave, now: datetime, *, tenant: str = MAIN) -> TestSuiteRecord:
        """Insert or replace a test suite."""
        ...

    def get_test_suite(self, namespace: str, suite_id: str, *, tenant: str = MAIN) -> TestSuiteRecord | None: ...

    def list_test_suites(self, namespace: str | None = None, flow_id: str | None = None, *,
                         tenant: str = MAIN) -> list[TestSuiteRecord]:
        """Test suites of a namespace (every one when None) and flow, by namespace and id."""
        ...

    def delete_test_suite(self, namespace: str, suite_id: str, *, tenant: str = MAIN) -> bool:
        """Delete a test suite (its results stay); True when it existed."""
        ...

    def add_test_result(self, result: TestResultRecord) -> None:
        """Record one run of a test suite (in its tenant)."""
        ...

    def get_test_result(self, result_id: str, *, tenant: str = MAIN) -> TestResultRecord | None:
        """One run, None as well when it belongs to another tenant."""
        ...

    def test_results(self, namespace: str, suite_id: str, limit: int = 20, *,
                     tenant: str = MAIN) -> list[TestResultRecord]:
        """A suite's runs, newest first."""
        ...
