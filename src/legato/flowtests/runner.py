"""Running a test suite: each enabled test case becomes one execution of the flow under test, with the
case's inputs, trigger, files and mocked tasks (`ExecutionFixtures`, honoured by the worker); when it ends,
the assertions are rendered against it and checked. Works on any store whose executor and worker are
running: the throw-away in-process one of `legato test`, or a server's."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from legato.expressions import ExpressionError, Renderer, UndefinedError
from legato.flows import Flows
from legato.flowtests.assertions import AssertionResult, check
from legato.flowtests.suite import TestSuite, UnitTestCase
from legato.model.errors import InputsError
from legato.model.execution import Execution
from legato.model.fixtures import ExecutionFixtures
from legato.model.flow import Flow
from legato.model.flowable_worker import WorkerFlowable
from legato.model.ids import new_id
from legato.model.state import State
from legato.plugins.runnable import RunnableTask
from legato.services import evaluation, executions
from legato.services.errors import ConflictError, NotFoundError
from legato.services.principal import SYSTEM, Principal
from legato.storage import Storage
from legato.storage import functions as storage_functions
from legato.storage.tenants import of_tenant
from legato.store import functions
from legato.store.ports import ExecutionStore, FlowReader, Governance, KVStore, LogStore, SuiteStore


class SuiteRunStore(FlowReader, SuiteStore, ExecutionStore, LogStore, KVStore, Governance, Protocol):
    """What running a suite uses: the execution services' ports (it starts, waits for and kills executions) and
    the expression functions' reads (its assertions)."""


# Test executions carry this label (value: the suite's id), so lists can leave them out.
TEST_LABEL = "system.test"
SUCCESS, FAILED, ERROR, SKIPPED = "SUCCESS", "FAILED", "ERROR", "SKIPPED"
DEFAULT_TIMEOUT = 60.0


@dataclass(frozen=True)
class TestEnv:
    """What a suite runs against: the store (with an executor and a worker on it), the flow cache, the
    internal storage and the clock."""

    __test__ = False

    store: SuiteRunStore
    flows: Flows
    storage: Storage | None
    renderer: Renderer
    clock: Callable[[], datetime]


@dataclass
class CaseResult:
    """One test case's outcome (Kestra's UnitTestResult)."""

    testId: str
    state: str
    executionId: str | None = None
    executionState: str | None = None
    assertionResults: list[AssertionResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    duration: float = 0.0
    description: str | None = None

    def failures(self) -> list[str]:
        """Why the case did not pass, one line each."""
        return [*self.errors, *(r.message() for r in self.assertionResults if not r.isSuccess)]


@dataclass
class SuiteResult:
    """One run of a suite (Kestra's TestSuiteRunResult)."""

    id: str
    testSuiteId: str
    namespace: str
    flowId: str
    state: str
    startDate: datetime
    endDate: datetime
    results: list[CaseResult]
    source: str | None = None  # the file the suite came from, for `legato test`


async def run_suite(env: TestEnv, suite: TestSuite, *, only: Sequence[str] | None = None,
                    timeout: float = DEFAULT_TIMEOUT, by: Principal = SYSTEM, source: str | None = None) -> SuiteResult:
    """Run the suite's test cases (all, or those named in `only`) at once and check their assertions."""
    started = env.clock()
    unknown = sorted(set(only or ()) - {c.id for c in suite.testCases})
    if unknown:
        raise NotFoundError(f"test suite {suite.namespace}.{suite.id} has no test case {', '.join(unknown)}")
    cases = [c for c in suite.testCases if only is None or c.id in only]
    flow = _flow(env, suite, by.tenant)
    results = await asyncio.gather(*(_run_case(env, suite, flow, case, timeout, by) for case in cases))
    return SuiteResult(id=new_id(), testSuiteId=suite.id, namespace=suite.namespace, flowId=suite.flowId,
                       state=overall([r.state for r in results]), startDate=started, endDate=env.clock(),
                       results=list(results), source=source)


def overall(states: Sequence[str]) -> str:
    """A suite's state from its cases': ERROR over FAILED over SUCCESS; SKIPPED when nothing ran."""
    for state in (ERROR, FAILED, SUCCESS):
        if state in states:
            return state
    return SKIPPED


def _flow(env: TestEnv, suite: TestSuite, tenant: str) -> Flow | str:
    record = env.store.get_flow(suite.namespace, suite.flowId, tenant=tenant)
    if record is None or record.deleted:
        return f"flow {suite.namespace}.{suite.flowId} not found"
    return env.flows.of(record)


def fixture_problems(flow: Flow, case: UnitTestCase) -> list[str]:
    """Task fixtures naming a task the flow does not have, or one that does not run on a worker."""
    problems = []
    for fixture in case.fixtures.tasks:
        try:
            task = flow.task(fixture.id)
        except KeyError:
            problems.append(f"fixture of task '{fixture.id}': the flow {flow.namespace}.{flow.id} has no such task")
            continue
        if not isinstance(task, RunnableTask | WorkerFlowable):
            problems.append(f"fixture of task '{fixture.id}': {task.type} is a flowable task; only tasks that "
                            "run on a worker can be mocked")
    return problems


async def _run_case(env: TestEnv, suite: TestSuite, flow: Flow | str, case: UnitTestCase, timeout: float,
                    by: Principal) -> CaseResult:
    began = time.perf_counter()
    result = CaseResult(testId=case.id, state=SKIPPED, description=case.description)
    if suite.disabled or case.disabled:
        return result
    try:
        if isinstance(flow, str):
            raise _CaseError(flow)
        problems = fixture_problems(flow, case)
        if problems:
            raise _CaseError(*problems)
        execution = await asyncio.to_thread(_start, env, suite, case, by)
        result.executionId = execution.id
        try:
            ended = await executions.wait_for_end(env.store, execution.id, poll_seconds=0.25, timeout=timeout)
        except TimeoutError:
            await asyncio.to_thread(_kill, env.store, execution.id, by)
            raise _CaseError(f"the execution did not end within {timeout:g} s") from None
        result.executionState = str(ended.state)
        result.errors = _state_errors(case, ended)
        if result.errors:
            result.errors += await asyncio.to_thread(_failed_tasks, env.store, ended.id)
        result.assertionResults = await asyncio.to_thread(assertions_of, env, case, ended)
        passed = not result.errors and all(r.isSuccess for r in result.assertionResults)
        result.state = SUCCESS if passed else FAILED
    except _CaseError as exc:
        result.state, result.errors = ERROR, list(exc.args)
    finally:
        result.duration = time.perf_counter() - began
    return result


class _CaseError(Exception):
    """The test case could not run (no flow, a bad fixture, invalid inputs, no end in time)."""


def _start(env: TestEnv, suite: TestSuite, case: UnitTestCase, by: Principal) -> Execution:
    given = case.fixtures
    trigger = None
    if given.trigger is not None:
        trigger = {**given.trigger.variables, "id": given.trigger.id}
        if given.trigger.type:
            trigger["type"] = given.trigger.type
    fixtures = ExecutionFixtures(tasks={t.id: t for t in given.tasks})
    try:
        return executions.create_execution(
            env.store, suite.namespace, suite.flowId, given.inputs, by=by, now=env.clock(),
            labels={TEST_LABEL: suite.id}, storage=env.storage, trigger=trigger, renderer=env.renderer,
            flows=env.flows, fixtures=fixtures, fixture_files={k: v.encode() for k, v in given.files.items()})
    except (InputsError, NotFoundError) as exc:
        raise _CaseError(str(exc)) from None


def _kill(store: SuiteRunStore, execution_id: str, by: Principal) -> None:
    # it may have ended meanwhile: then there is nothing to stop
    with contextlib.suppress(ConflictError, NotFoundError):
        executions.kill(store, execution_id, by=by)


def _state_errors(case: UnitTestCase, ended: Execution) -> list[str]:
    why = f": {ended.error}" if ended.error else ""
    if case.expectedState is not None:
        if ended.state != case.expectedState:
            return [f"expected the execution to end {case.expectedState}, it ended {ended.state}{why}"]
        return []
    if ended.state not in (State.SUCCESS, State.WARNING):
        return [f"the execution ended {ended.state}{why} (set expectedState to expect it)"]
    return []


def _failed_tasks(store: SuiteRunStore, execution_id: str) -> list[str]:
    """Why the execution's failed task runs failed, one line each."""
    return [f"task '{r.task_id}' {r.state}" + (f": {r.error}" if r.error else "")
            for r in store.task_runs(execution_id) if r.state in (State.FAILED, State.KILLED)]


def assertions_of(env: TestEnv, case: UnitTestCase, execution: Execution) -> list[AssertionResult]:
    """Every operator of every assertion of `case`, checked against the ended `execution`."""
    out: list[AssertionResult] = []
    base: dict[str, Any] | None = None
    bound = _functions(env, execution)
    for assertion in case.assertions:
        error: str | None = None
        try:
            if assertion.taskId is not None:
                variables = _task_variables(env, execution, assertion.taskId)
            else:
                base = base if base is not None else evaluation.execution_variables(env.store, env.flows, execution)
                variables = base
            variables = {**variables, "files": (execution.fixtures.files if execution.fixtures else {})}
            actual = env.renderer.render_all(assertion.value, variables, functions=bound, typed=True)
        except UndefinedError:
            actual = None  # a missing output or variable: null, as isNull expects
        except (ExpressionError, NotFoundError) as exc:
            actual, error = None, f"cannot render {assertion.value!r}: {exc}"
        for operator, expected in assertion.operators():
            ok = error is None and check(operator, actual, expected)
            message = assertion.errorMessage if error is None else (
                f"{assertion.errorMessage}: {error}" if assertion.errorMessage else error)
            out.append(AssertionResult(operator=operator, expected=expected, actual=actual, isSuccess=ok,
                                       description=assertion.description, errorMessage=message,
                                       taskId=assertion.taskId))
    return out


def _task_variables(env: TestEnv, execution: Execution, task_id: str) -> Mapping[str, Any]:
    runs = [r for r in env.store.task_runs(execution.id) if r.task_id == task_id]
    if not runs:
        raise NotFoundError(f"task '{task_id}' did not run in execution {execution.id}")
    return evaluation.task_run_variables(env.store, env.flows, execution, runs[-1].id)


def _functions(env: TestEnv, execution: Execution) -> dict[str, Any]:
    bound: dict[str, Any] = functions.bind(env.store, execution.namespace, execution.id, env.clock,
                                           tenant=execution.tenant)
    if env.storage is not None:  # read(), fileSize()... as the execution's tasks see them, in its tenant
        scope = storage_functions.FileScope(execution.namespace, execution.flow_id, execution.id,
                                            trigger=execution.trigger, parent_id=execution.parent_id)
        bound = {**storage_functions.bind(of_tenant(env.storage, execution.tenant), scope), **bound}
    return bound
