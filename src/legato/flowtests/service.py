"""What a user can do with test suites, for the API and the CLI alike: save (create or update), read, delete,
search, and run one (its result recorded in the suite's history). Every call takes the acting principal and sees
the suites, flows and results of its tenant only."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from legato.flowtests.runner import DEFAULT_TIMEOUT, SuiteResult, TestEnv, run_suite
from legato.flowtests.suite import TestSuite, parse_suite
from legato.identity.permissions import Action, Resource
from legato.services.errors import ConflictError, NotFoundError
from legato.services.principal import Principal, require, visible
from legato.store.ports import MAIN, SuiteSave, SuiteStore, TestResultRecord, TestSuiteRecord

TEST_TYPE = "io.kestra.core.tests.flow.UnitTest"


def save(store: SuiteStore, source: str, *, by: Principal, now: datetime, create: bool = False,
         at: tuple[str, str] | None = None, name: str = "<test suite>") -> tuple[TestSuiteRecord, TestSuite]:
    """Store a suite from its YAML source (FlowValidationError when invalid). `create`: ConflictError when it
    exists; `at` (namespace, id): the suite must be that one (an update cannot move it)."""
    suite = parse_suite(source, name)
    if at is not None and at != (suite.namespace, suite.id):
        raise ConflictError(f"the source is test suite {suite.namespace}.{suite.id}, not {at[0]}.{at[1]}")
    existing = store.get_test_suite(suite.namespace, suite.id, tenant=by.tenant)
    require(by, Resource.TESTSUITE, Action.CREATE if existing is None else Action.UPDATE, suite.namespace)
    if create and existing is not None:
        raise ConflictError(f"test suite {suite.namespace}.{suite.id} already exists")
    if at is not None and existing is None:
        raise NotFoundError(f"test suite {at[0]}.{at[1]} not found")
    record = store.save_test_suite(SuiteSave(suite.namespace, suite.id, suite.flowId, source, suite.disabled), now,
                                   tenant=by.tenant)
    return record, suite


def get(store: SuiteStore, namespace: str, suite_id: str, *, by: Principal) -> TestSuiteRecord:
    require(by, Resource.TESTSUITE, Action.VIEW, namespace)
    record = store.get_test_suite(namespace, suite_id, tenant=by.tenant)
    if record is None:
        raise NotFoundError(f"test suite {namespace}.{suite_id} not found")
    return record


def delete(store: SuiteStore, namespace: str, suite_id: str, *, by: Principal) -> None:
    require(by, Resource.TESTSUITE, Action.DELETE, namespace)
    if not store.delete_test_suite(namespace, suite_id, tenant=by.tenant):
        raise NotFoundError(f"test suite {namespace}.{suite_id} not found")


def search(store: SuiteStore, namespace: str | None, flow_id: str | None, *, by: Principal) -> list[TestSuiteRecord]:
    """Suites in `namespace` or its children, of `flow_id`, that `by` may list, by namespace and id."""
    return [r for r in store.list_test_suites(None, flow_id, tenant=by.tenant)
            if (namespace is None or r.namespace == namespace or r.namespace.startswith(namespace + "."))
            and visible(by, Resource.TESTSUITE, Action.LIST, r.namespace)]


def results(store: SuiteStore, namespace: str, suite_id: str, *, by: Principal, limit: int) -> list[TestResultRecord]:
    """A suite's runs, newest first."""
    require(by, Resource.TESTSUITE, Action.VIEW, namespace)
    return store.test_results(namespace, suite_id, limit=limit, tenant=by.tenant)


def result(store: SuiteStore, result_id: str, *, by: Principal) -> TestResultRecord:
    """One run of a suite; NotFoundError when it does not exist or `by` may not see its namespace."""
    record = store.get_test_result(result_id, tenant=by.tenant)
    if record is None or not visible(by, Resource.TESTSUITE, Action.VIEW, record.namespace):
        raise NotFoundError(f"test result {result_id} not found")
    return record


async def run(env: TestEnv, namespace: str, suite_id: str, *, by: Principal, only: Sequence[str] | None = None,
              timeout: float = DEFAULT_TIMEOUT) -> SuiteResult:
    """Run a stored suite on the server's executor and worker and record the result in its history."""
    require(by, Resource.TESTSUITE, Action.EXECUTE, namespace)
    record = get(env.store, namespace, suite_id, by=by)
    suite = parse_suite(record.source, f"{namespace}.{suite_id}")
    result = await run_suite(env, suite, only=only, timeout=timeout, by=by)
    env.store.add_test_result(TestResultRecord(result.id, namespace, suite_id, suite.flowId, result.state,
                                               result.startDate, result.endDate, result_json(result, by.tenant),
                                               by.tenant))
    return result


def result_json(result: SuiteResult, tenant: str = MAIN) -> dict[str, Any]:
    """A run's result as Kestra's API shapes it (TestSuiteRunResult, UnitTestResult, AssertionResult); its
    executions' UI links are in `tenant`."""
    return {
        "id": result.id, "testSuiteId": result.testSuiteId, "namespace": result.namespace, "flowId": result.flowId,
        "state": result.state, "startDate": result.startDate.isoformat(), "endDate": result.endDate.isoformat(),
        "results": [{
            "testId": case.testId, "testType": TEST_TYPE, "executionId": case.executionId,
            "executionState": case.executionState, "state": case.state, "description": case.description,
            "duration": round(case.duration, 3),
            "url": f"/ui/{tenant}/executions/{result.namespace}/{result.flowId}/{case.executionId}"
            if case.executionId else None,
            "assertionResults": [_plain(dataclasses.asdict(a)) for a in case.assertionResults],
            "errors": [{"message": e, "details": None} for e in case.errors],
        } for case in result.results],
    }


def _plain(value: dict[str, Any]) -> dict[str, Any]:
    """Values as JSON has them (dates as text), so the result can be stored and served."""
    plain: dict[str, Any] = json.loads(json.dumps(value, default=str))
    return plain
