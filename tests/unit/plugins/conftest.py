"""Fixtures for the core task tests: a real SQLite store, the real expression engine, and a WorkerContext
built the way the worker builds it, with a clock the tests move."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from legato.engine.events import ExecutionCreated
from legato.expressions import Masker, Renderer
from legato.flows import Flows
from legato.model.execution import Execution, LogRecord, TaskRun
from legato.model.state import State
from legato.model.task import TASKS
from legato.plugins import core  # noqa: F401 - registers the core tasks
from legato.plugins.runnable import RunnableTask
from legato.storage import LocalStorage
from legato.store import functions, open_store
from legato.worker.context import WorkerContext

NAMESPACE = "company.team"  # the tests hard-code it too, as a user would read it
FLOW_ID = "orders"
START = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
FLOW_SOURCE = """\
id: {flow_id}
namespace: {namespace}
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: hello
"""


class Clock:
    """The tests' time: it moves only when told to."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Harness:
    """Builds contexts over one store and runs tasks through them."""

    store: Any
    clock: Clock
    executions: int = 0
    renderer: Renderer = field(init=False)
    shared: Execution | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.renderer = Renderer(clock=self.clock)

    def save_flow(self, namespace: str = NAMESPACE, flow_id: str = FLOW_ID) -> None:
        source = FLOW_SOURCE.format(namespace=namespace, flow_id=flow_id)
        self.store.save_flow(namespace, flow_id, source, disabled=False, now=self.clock())

    def execution(self, *, state: State = State.RUNNING, namespace: str = NAMESPACE, flow_id: str = FLOW_ID,
                  variables: dict[str, Any] | None = None) -> Execution:
        self.executions += 1
        execution = Execution(
            id=f"exec{self.executions:018d}", namespace=namespace, flow_id=flow_id, flow_revision=1,
            state=state, created=self.clock(), variables=variables or {},
        )
        self.store.create_execution(execution, ExecutionCreated())
        return execution

    def one_execution(self) -> Execution:
        """The same execution for every call of one test: tasks that read what earlier tasks wrote must belong
        to it (an execution reaches only its own files, legato.storage.access)."""
        if self.shared is None:
            self.shared = self.execution()
        return self.shared

    def context(
        self,
        *,
        storage: Any = None,
        inputs: dict[str, Any] | None = None,
        outputs: dict[str, Any] | None = None,
        execution: Execution | None = None,
        task_id: str = "task",
        value: str | None = None,
        flow_id: str = FLOW_ID,
        log_level: str | None = None,
        secrets: dict[str, str] | None = None,
        cancelled: asyncio.Event | None = None,
    ) -> WorkerContext:
        execution = execution or self.execution(flow_id=flow_id)
        task_run = TaskRun(id=f"{execution.id}-{task_id}", execution_id=execution.id, task_id=task_id, value=value)
        masker = Masker()
        variables = {
            "flow": {"id": flow_id, "namespace": execution.namespace, "revision": 1},
            "execution": {"id": execution.id, "startDate": self.clock()},
            "task": {"id": task_id},
            "taskrun": {"id": task_run.id, "value": value},
            "inputs": inputs or {},
            "outputs": outputs or {},
            "vars": dict(execution.variables),
            # what the secret() function would hand the template: a placeholder, revealed at the point of use
            "secrets": {name: masker.placeholder(value) for name, value in (secrets or {}).items()},
        }
        return WorkerContext(
            store=self.store, flows=Flows(), renderer=self.renderer, masker=masker, variables=variables,
            execution=execution, task_run=task_run, attempt=1, flow_namespace=execution.namespace, flow_id=flow_id,
            log_level=log_level, clock=self.clock, cancelled=cancelled or asyncio.Event(),
            # the store-backed expression functions, as the worker binds them for every attempt
            functions=functions.bind(self.store, execution.namespace, execution.id, self.clock),
            storage=storage,
        )

    def task(self, source: str | dict[str, Any]) -> RunnableTask:
        data = yaml.safe_load(source) if isinstance(source, str) else source
        cls = TASKS.lookup(data["type"])
        assert cls is not None, f"unregistered type {data['type']}"
        task = cls.model_validate(data)
        assert isinstance(task, RunnableTask)
        return task

    def run(self, source: str | dict[str, Any], ctx: WorkerContext | None = None) -> dict[str, Any]:
        """Run the task to completion as the worker does: run, then flush the logs (also after a failure)."""
        ctx = ctx or self.context()
        try:
            return asyncio.run(self.task(source).run(ctx))
        finally:
            ctx.flush()

    def logs(self, ctx: WorkerContext) -> list[LogRecord]:
        return self.store.logs(ctx.execution.id)

    def messages(self, ctx: WorkerContext) -> list[tuple[str, str]]:
        return [(r.level, r.message) for r in self.logs(ctx)]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def harness(tmp_path: Path, clock: Clock) -> Iterator[Harness]:
    store = open_store(f"sqlite:///{tmp_path}/t.db")
    store.migrate()
    try:
        yield Harness(store=store, clock=clock)
    finally:
        store.close()


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    """Internal storage under the test's own directory."""
    return LocalStorage(tmp_path / "storage")
