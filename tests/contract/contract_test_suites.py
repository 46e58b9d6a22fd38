"""Contract: test suites (stored by namespace and id, replaced with a namespace's flows in one transaction)
and the history of their runs."""

from __future__ import annotations

from legato.engine.events import ExecutionCreated
from legato.model.execution import Label
from legato.model.fixtures import ExecutionFixtures
from legato.store.ports import ExecutionFilter, FlowSave, SuiteSave, TestResultRecord
from legato.store.sql import SqlStore

from .helpers import NOW, at, execution


def _result(result_id: str, started_after: int, state: str = "SUCCESS") -> TestResultRecord:
    return TestResultRecord(result_id, "ns", "suite", "flow", state, at(started_after), at(started_after + 1),
                            {"results": [{"testId": "case", "state": state}]})


class SuiteContract:
    def test_save_replaces_and_lists_by_namespace_and_flow(self, store: SqlStore) -> None:
        store.save_test_suite(SuiteSave("ns", "b", "flow", "v1"), NOW)
        store.save_test_suite(SuiteSave("ns", "a", "other", "v1"), NOW)
        store.save_test_suite(SuiteSave("ns.child", "c", "flow", "v1"), NOW)
        saved = store.save_test_suite(SuiteSave("ns", "b", "flow", "v2", disabled=True), at(5))
        assert store.get_test_suite("ns", "b") == saved
        assert (saved.source, saved.disabled, saved.updated) == ("v2", True, at(5))
        assert [s.id for s in store.list_test_suites("ns")] == ["a", "b"]
        assert [s.id for s in store.list_test_suites(None, "flow")] == ["b", "c"]
        assert store.delete_test_suite("ns", "a") is True
        assert store.delete_test_suite("ns", "a") is False
        assert store.get_test_suite("ns", "a") is None

    def test_suites_deploy_with_the_flows_in_one_transaction(self, store: SqlStore) -> None:
        store.save_test_suite(SuiteSave("ns", "gone", "flow", "v1"), NOW)
        store.replace_flows([FlowSave("ns", "flow", "id: flow", False)], [], at(1),
                            suites=[SuiteSave("ns", "new", "flow", "v1")], suite_deletions=[("ns", "gone")])
        assert [s.id for s in store.list_test_suites("ns")] == ["new"]
        assert store.get_flow("ns", "flow") is not None

    def test_results_history_newest_first(self, store: SqlStore) -> None:
        for n, result_id in enumerate(["r1", "r2", "r3"]):
            store.add_test_result(_result(result_id, n * 10, "FAILED" if n == 1 else "SUCCESS"))
        assert [r.id for r in store.test_results("ns", "suite")] == ["r3", "r2", "r1"]
        assert [r.id for r in store.test_results("ns", "suite", limit=1)] == ["r3"]
        assert store.test_results("ns", "other") == []
        got = store.get_test_result("r2")
        assert got == _result("r2", 10, "FAILED")
        assert store.get_test_result("nope") is None


class TransientExecutionContract:
    def test_executions_of_a_test_are_left_out_of_searches_and_counts_unless_asked_for(self, store: SqlStore) -> None:
        kept = execution()
        test = execution(fixtures=ExecutionFixtures(), labels=(Label(key="system.test", value="suite"),))
        for e in (kept, test):
            store.create_execution(e, ExecutionCreated())
        assert [e.id for e in store.search_executions(ExecutionFilter())[0]] == [kept.id]
        assert sum(c.count for c in store.count_executions(ExecutionFilter(), ["state"])) == 1
        both = store.search_executions(ExecutionFilter(transient=True))[0]
        assert {e.id for e in both} == {kept.id, test.id}
        assert store.get_execution(test.id) == test  # still readable by id (the test's result links to it)
