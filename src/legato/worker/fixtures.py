"""Mocked tasks of a flow unit test: when the execution carries a fixture for the task, the worker does not
run it and reports the fixture's outputs (rendered like task properties, with the test's files as `files`)
and state instead. The engine sees an ordinary result."""

from __future__ import annotations

from legato.expressions import Masker
from legato.model.fixtures import TaskFixture
from legato.model.state import State
from legato.plugins.context import TaskFailed
from legato.worker.attempt import Outcome, masked
from legato.worker.context import WorkerContext


def of(wctx: WorkerContext, task_id: str) -> TaskFixture | None:
    """The fixture standing in for `task_id` in this attempt's execution, if any."""
    fixtures = wctx.execution.fixtures
    return fixtures.tasks.get(task_id) if fixtures is not None else None


def outcome(fixture: TaskFixture, wctx: WorkerContext, masker: Masker) -> Outcome:
    """The result the mocked task reports; a fixture whose outputs do not render fails the task run."""
    files = wctx.execution.fixtures.files if wctx.execution.fixtures is not None else {}
    try:
        outputs = wctx.render_with(fixture.outputs or {}, {"files": files})
    except TaskFailed as exc:
        wctx.logger.error(f"fixture of task '{fixture.id}': {exc}")
        return Outcome(State.FAILED, error=f"fixture of task '{fixture.id}': {exc}")
    note = f" ({fixture.description})" if fixture.description else ""
    wctx.logger.info(f"task mocked by a test fixture{note}: ends {fixture.state}")
    error = f"state {fixture.state} given by a test fixture" if fixture.state != State.SUCCESS else None
    return Outcome(fixture.state, masked(masker, outputs if isinstance(outputs, dict) else {}), error=error)
