"""execution.PurgeExecutions (alias storage.Purge), log.PurgeLogs, execution.Count, templating.TemplatedTask on a
real SQLite store and local storage, written as Kestra's flows write them; and flow.Template refused with the
way out."""

from __future__ import annotations

import pytest

from legato.flows import parse_flow
from legato.model.errors import FlowValidationError
from legato.model.execution import LogRecord
from legato.model.state import State
from legato.plugins.context import TaskFailed
from legato.storage import LocalStorage
from legato.storage.uris import execution_prefix
from tests.unit.plugins.conftest import NAMESPACE, Harness


def _ended(harness: Harness, state: State = State.SUCCESS, *, namespace: str = NAMESPACE, flow_id: str = "orders",
           storage: LocalStorage | None = None) -> str:
    execution = harness.execution(state=state, namespace=namespace, flow_id=flow_id)
    harness.store.append_logs([LogRecord(execution_id=execution.id, level=level, message=level.lower(),
                                         timestamp=harness.clock()) for level in ("DEBUG", "INFO", "ERROR")])
    if storage is not None:
        storage.put(f"{execution_prefix(namespace, flow_id, execution.id)}/out.txt", b"x")
    return execution.id


def test_purge_executions_deletes_ended_executions_with_their_logs_and_files(harness: Harness, storage: LocalStorage) -> None:
    old = [_ended(harness, storage=storage), _ended(harness, State.FAILED, storage=storage)]
    running = harness.execution(state=State.RUNNING).id
    other = _ended(harness, namespace="elsewhere")
    harness.clock.advance(days=40)
    kept = _ended(harness)
    out = harness.run("""
id: purge
type: io.kestra.plugin.core.storage.Purge
endDate: "{{ now() | dateAdd(-1, 'MONTHS') }}"
""", harness.context(storage=storage))
    assert out == {"executionsCount": 2, "logsCount": 6, "storagesCount": 2, "metricsCount": 0}
    assert [harness.store.get_execution(x) for x in old] == [None, None]
    assert all(harness.store.get_execution(x) is not None for x in (running, other, kept))


def test_purge_executions_by_state_and_flow(harness: Harness, storage: LocalStorage) -> None:
    failed, succeeded = _ended(harness, State.FAILED), _ended(harness)
    other_flow = _ended(harness, State.FAILED, flow_id="billing")
    out = harness.run("""
id: purge
type: io.kestra.plugin.core.execution.PurgeExecutions
flowId: orders
endDate: "{{ now() }}"
states: [FAILED]
purgeStorage: false
""", harness.context(storage=storage))
    assert out["executionsCount"] == 1 and harness.store.get_execution(failed) is None
    assert harness.store.get_execution(succeeded) and harness.store.get_execution(other_flow)


def test_a_flow_reaches_only_its_namespace_and_those_under_it(harness: Harness, storage: LocalStorage) -> None:
    for task in ("execution.PurgeExecutions", "log.PurgeLogs"):
        with pytest.raises(TaskFailed, match="outside this flow's namespace"):
            harness.run(f"id: p\ntype: io.kestra.plugin.core.{task}\nnamespace: company\nendDate: '2030-01-01T00:00:00Z'\n",
                        harness.context(storage=storage))
    child = _ended(harness, namespace=f"{NAMESPACE}.sub")
    out = harness.run(f"id: p\ntype: io.kestra.plugin.core.execution.PurgeExecutions\nnamespace: {NAMESPACE}\n"
                      "endDate: '2030-01-01T00:00:00Z'\n", harness.context(storage=storage))
    assert out["executionsCount"] == 1 and harness.store.get_execution(child) is None


def test_purge_logs_by_level_before_a_date(harness: Harness) -> None:
    old = _ended(harness)
    harness.clock.advance(days=40)
    new = _ended(harness)
    out = harness.run("""
id: purge_logs
type: io.kestra.plugin.core.log.PurgeLogs
endDate: "{{ now() | dateAdd(-1, 'MONTHS') }}"
logLevels: [TRACE, DEBUG, INFO, WARN]
""")
    assert out == {"count": 2}
    assert [r.level for r in harness.store.logs(old)] == ["ERROR"]
    assert len(harness.store.logs(new)) == 3


def test_count_keeps_the_flows_whose_count_makes_the_expression_true(harness: Harness) -> None:
    harness.save_flow(flow_id="orders")
    harness.save_flow(flow_id="billing")
    for _ in range(3):
        _ended(harness)
    _ended(harness, State.FAILED, flow_id="billing")
    source = """
id: counts
type: io.kestra.plugin.core.execution.Counts
expression: "{{ count == 0 }}"
flows:
  - {namespace: company.team, flowId: orders}
  - {namespace: company.team, flowId: silent}
startDate: "{{ now() | dateAdd(-1, 'DAYS') }}"
"""
    assert harness.run(source) == {"results": [{"namespace": NAMESPACE, "flowId": "silent", "count": 0}], "total": 0}
    by_namespace = harness.run(f"""
id: counts
type: io.kestra.plugin.core.execution.Count
expression: "{{{{ count >= 1 }}}}"
namespaces: [{NAMESPACE}]
states: [SUCCESS]
startDate: "2024-01-01T00:00:00Z"
""")
    assert by_namespace == {"results": [{"namespace": NAMESPACE, "flowId": "orders", "count": 3}], "total": 3}
    with pytest.raises(TaskFailed, match="`flows` or `namespaces`"):
        harness.run("id: c\ntype: io.kestra.plugin.core.execution.Count\nexpression: x\nstartDate: '2024-01-01'\n")


def test_templated_task_renders_its_spec_then_runs_it(harness: Harness) -> None:
    out = harness.run("""
id: templated
type: io.kestra.plugin.core.templating.TemplatedTask
spec: |
  type: io.kestra.plugin.core.debug.Return
  {{ inputs.property }}: "made by {{ task.id }}"
""", harness.context(inputs={"property": "format"}, task_id="templated"))
    assert out == {"value": "made by templated"}
    for spec, error in (("type: io.kestra.plugin.core.templating.TemplatedTask\nspec: x", "cannot be templated"),
                        ("type: io.kestra.plugin.core.flow.Sequential", "cannot be templated"),
                        ("type: nope.Nope", "unknown task type"), ("type: io.kestra.plugin.core.log.Log", "message")):
        with pytest.raises(TaskFailed, match=error):
            harness.run({"id": "t", "type": "io.kestra.plugin.core.templating.TemplatedTask", "spec": spec})


def test_template_is_refused_at_validation_with_the_way_out() -> None:
    source = ("id: f\nnamespace: a\ntasks:\n  - id: include\n    type: io.kestra.core.tasks.flows.Template\n"
              "    namespace: a\n    templateId: shared\n")
    with pytest.raises(FlowValidationError, match=r"templates were removed .* inline the tasks of the template 'shared'"):
        parse_flow(source, "f.yaml")
