"""Contract: what the API asks of the store for searches, dashboards and clean-up: execution search and
counts, deleting an execution with everything under it, following, searching and deleting log lines, and
flow revisions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from legato.engine.events import ExecutionCreated, KillRequested
from legato.model.execution import Execution, Label, LogRecord
from legato.model.state import State
from legato.store.ports import ExecutionFilter, LogFilter
from legato.store.sql import SqlStore

from .helpers import NOW, at, drain, execution, in_tx, run


def _made(store: SqlStore, namespace: str, flow_id: str = "f", *, state: State = State.SUCCESS, seconds: float = 0,
          took: float | None = None, labels: dict[str, str] | None = None) -> Execution:
    created = execution(namespace, flow_id, state=state, created=at(seconds),
                        ended=at(seconds + took) if took is not None else None,
                        labels=tuple(Label(key=k, value=v) for k, v in (labels or {}).items()))
    store.create_execution(created, ExecutionCreated())
    return created


def _ids(found: tuple[list[Execution], int]) -> list[str]:
    return [x.id for x in found[0]]


def _log(execution_id: str, level: str, message: str, seconds: float, task_run_id: str | None = None,
         attempt: int | None = None) -> LogRecord:
    return LogRecord(execution_id=execution_id, task_run_id=task_run_id, task_id=task_run_id and "t",
                     attempt=attempt, level=level, message=message, timestamp=at(seconds))


class SearchContract:
    def test_search_filters_by_namespace_tree_flow_state_labels_and_dates(self, store: SqlStore) -> None:
        a = _made(store, "a.b", seconds=1, labels={"env": "prod", "team": "x"})
        child = _made(store, "a.b.c", "g", state=State.FAILED, seconds=2, labels={"env": "prod"})
        sibling = _made(store, "a.bc", seconds=3, labels={"env": "prod", "team": "x"})
        wildcard = _made(store, "a_b", seconds=4)  # `_` must not act as a LIKE wildcard
        assert set(_ids(store.search_executions(ExecutionFilter(namespace="a.b")))) == {a.id, child.id}
        assert _ids(store.search_executions(ExecutionFilter(namespace="a_b"))) == [wildcard.id]
        assert _ids(store.search_executions(ExecutionFilter(namespace="a.b", flow_id="f"))) == [a.id]
        assert _ids(store.search_executions(ExecutionFilter(states=frozenset({State.FAILED})))) == [child.id]
        labelled = ExecutionFilter(labels=(("env", "prod"), ("team", "x")))
        assert set(_ids(store.search_executions(labelled))) == {a.id, sibling.id}
        assert _ids(store.search_executions(ExecutionFilter(labels=(("env", "dev"),)))) == []
        window = ExecutionFilter(created_from=at(2), created_to=at(3))
        assert _ids(store.search_executions(window)) == [sibling.id, child.id]

    def test_search_sorts_pages_and_counts_every_match(self, store: SqlStore) -> None:
        made = [_made(store, "p", seconds=s, took=10 + s if s % 2 else None) for s in range(7)]
        page, total = store.search_executions(ExecutionFilter(namespace="p"), limit=3, offset=3)
        assert total == 7 and [x.id for x in page] == [x.id for x in made[3::-1][:3]]
        oldest, _ = store.search_executions(ExecutionFilter(), sort="created", descending=False, limit=2)
        assert [x.id for x in oldest] == [made[0].id, made[1].id]
        by_end, _ = store.search_executions(ExecutionFilter(), sort="ended", descending=True)
        assert [x.id for x in by_end][:3] == [made[5].id, made[3].id, made[1].id]
        assert {x.id for x in by_end[3:]} == {made[0].id, made[2].id, made[4].id, made[6].id}  # not ended: last
        assert store.search_executions(ExecutionFilter(namespace="nothing")) == ([], 0)
        assert store.search_executions(ExecutionFilter(), limit=2, offset=50) == ([], 7)
        with pytest.raises(ValueError, match="cannot sort"):
            store.search_executions(ExecutionFilter(), sort="bogus")  # type: ignore[arg-type]

    def test_counts_by_state_day_and_flow_with_durations(self, store: SqlStore) -> None:
        day = 24 * 3600
        _made(store, "n.one", "f", state=State.SUCCESS, seconds=0, took=2)
        _made(store, "n.one", "f", state=State.SUCCESS, seconds=10, took=6)
        _made(store, "n.one", "g", state=State.FAILED, seconds=day, took=1)
        _made(store, "n.two", "f", state=State.RUNNING, seconds=day + 5)
        _made(store, "other", "f", state=State.SUCCESS, seconds=0)
        in_n = ExecutionFilter(namespace="n")
        by_state = {c.key: c.count for c in store.count_executions(in_n, ["state"])}
        assert by_state == {("SUCCESS",): 2, ("FAILED",): 1, ("RUNNING",): 1}
        days = store.count_executions(in_n, ["quarter_hour", "state"])
        first, second = (str(int(at(s).timestamp()) // 900) for s in (0, day))
        assert [(c.key, c.count, c.ended) for c in days] == [
            ((first, "SUCCESS"), 2, 2), ((second, "FAILED"), 1, 1), ((second, "RUNNING"), 1, 0)]
        success = days[0]
        assert (success.seconds_sum, success.seconds_min, success.seconds_max) == (8.0, 2.0, 6.0)
        assert days[2].seconds_min is None and days[2].seconds_sum == 0.0
        flows = store.count_executions(ExecutionFilter(), ["namespace", "flow_id"])
        assert [(c.key, c.count) for c in flows] == [
            (("n.one", "f"), 2), (("n.one", "g"), 1), (("n.two", "f"), 1), (("other", "f"), 1)]
        total = store.count_executions(ExecutionFilter(created_from=at(day)), [])
        assert [(c.key, c.count) for c in total] == [((), 2)]
        assert store.count_executions(ExecutionFilter(namespace="none"), []) == []
        with pytest.raises(ValueError, match="cannot count"):
            store.count_executions(ExecutionFilter(), ["colour"])  # type: ignore[list-item]

    def test_delete_execution_takes_everything_under_it_and_nothing_else(self, store: SqlStore) -> None:
        kept, gone = _made(store, "d", state=State.RUNNING), _made(store, "d", state=State.RUNNING)
        drain(store)
        for target in (kept, gone):
            loop = run(target.id, "loop")
            child = run(target.id, "child", parent_id=loop.id)

            def fill(tx, target=target, loop=loop, child=child):  # type: ignore[no-untyped-def]
                tx.write(None, [loop, child], {loop.id: [1, 2]})
                tx.insert_job(target.id, child.id, 1, None)
                tx.insert_timer(target.id, at(60), "retry", child.id, f"timer:{child.id}")
                tx.append_logs([_log(target.id, "INFO", "hello", 1, child.id)])

            in_tx(store, target.id, fill)
        for target in (kept, gone):
            store.send_event(target.id, KillRequested())
        assert store.delete_execution(gone.id) is True
        assert store.delete_execution(gone.id) is False
        assert store.get_execution(gone.id) is None and store.task_runs(gone.id) == [] and store.logs(gone.id) == []
        assert [e.execution_id for e in drain(store)] == [kept.id]
        assert len(store.task_runs(kept.id)) == 2 and len(store.logs(kept.id)) == 1
        assert store.next_timer_at() == at(60)
        assert store.fire_due_timers(at(61)) == 1  # only the kept execution's timer was left
        jobs = store.claim_jobs("w", [None], 10, timedelta(seconds=30), NOW)
        assert [j.execution_id for j in jobs] == [kept.id]
        view = store.read_view(kept.id)
        assert view is not None and view.item(store.task_runs(kept.id)[0].id, 1) == 2

    def test_logs_after_follows_in_insertion_order(self, store: SqlStore) -> None:
        store.append_logs([_log("e1", "INFO", "one", 3), _log("e2", "INFO", "other", 1),
                           _log("e1", "DEBUG", "two", 2, "tr"), _log("e1", "ERROR", "three", 1, "tr", 1)])
        every = store.logs_after(LogFilter(execution_id="e1"), 0)
        assert [s.record.message for s in every] == ["one", "two", "three"]
        assert [s.record.message for s in store.logs_after(LogFilter(execution_id="e1"), every[0].id)] == ["two", "three"]
        assert store.logs_after(LogFilter(execution_id="e1"), every[-1].id) == []
        assert [s.record.message for s in store.logs_after(LogFilter(execution_id="e1"), 0, limit=1)] == ["one"]
        warn = LogFilter(execution_id="e1", min_level="WARN")
        assert [s.record.message for s in store.logs_after(warn, 0)] == ["three"]
        attempt = LogFilter(execution_id="e1", task_run_id="tr", attempt=1)
        assert [s.record.message for s in store.logs_after(attempt, 0)] == ["three"]
        # a window of positions (what a log shipper shipped), for reading and for deleting
        window = LogFilter(execution_id="e1", positions=(every[0].id, every[1].id))
        assert [s.record.message for s in store.logs_after(window, 0)] == ["two"]
        assert store.delete_logs(window) == 1
        assert [s.record.message for s in store.logs_after(LogFilter(execution_id="e1"), 0)] == ["one", "three"]

    def test_search_logs_by_flow_text_level_and_time_with_paging(self, store: SqlStore) -> None:
        mine, theirs = _made(store, "l.a", "f"), _made(store, "l.b", "g")
        store.append_logs([_log(mine.id, "INFO", "Hello 100% world", 1), _log(mine.id, "ERROR", "failed_x", 2),
                           _log(theirs.id, "INFO", "hello there", 3), _log("orphan", "WARN", "no execution", 4)])
        found, total = store.search_logs(LogFilter(text="HELLO"))
        assert total == 2 and [s.record.message for s in found] == ["hello there", "Hello 100% world"]
        assert (found[0].namespace, found[0].flow_id) == ("l.b", "g")
        assert [s.record.message for s in store.search_logs(LogFilter(text="100%"))[0]] == ["Hello 100% world"]
        assert store.search_logs(LogFilter(text="fai_ed"))[1] == 0  # `_` is a character, not a wildcard
        assert [s.record.message for s in store.search_logs(LogFilter(namespace="l.a"))[0]] == [
            "failed_x", "Hello 100% world"]
        assert store.search_logs(LogFilter(namespace="l", flow_id="g"))[1] == 0  # with a flow: exact namespace
        assert [s.record.message for s in store.search_logs(LogFilter(min_level="WARN"), descending=False)[0]] == [
            "failed_x", "no execution"]
        orphan = store.search_logs(LogFilter(time_from=at(4), time_to=at(4)))[0]
        assert [(s.record.message, s.namespace) for s in orphan] == [("no execution", None)]
        page, total = store.search_logs(LogFilter(), descending=False, limit=2, offset=2)
        assert total == 4 and [s.record.message for s in page] == ["hello there", "no execution"]

    def test_delete_logs_removes_only_matching_lines(self, store: SqlStore) -> None:
        store.append_logs([_log("e1", "INFO", "a", 1, "tr1", 0), _log("e1", "INFO", "b", 2, "tr1", 1),
                           _log("e1", "INFO", "c", 3, "tr2", 0), _log("e2", "INFO", "d", 4)])
        assert store.delete_logs(LogFilter(execution_id="e1", task_run_id="tr1", attempt=1)) == 1
        assert [r.message for r in store.logs("e1")] == ["a", "c"]
        assert store.delete_logs(LogFilter(execution_id="e1")) == 2
        assert store.logs("e1") == [] and [r.message for r in store.logs("e2")] == ["d"]
        assert store.delete_logs(LogFilter(execution_id="e1")) == 0

    def test_delete_logs_of_a_namespace_by_exact_levels_before_a_date(self, store: SqlStore) -> None:
        mine, theirs = _made(store, "p.a", "f"), _made(store, "q", "g")
        store.append_logs([_log(mine.id, "DEBUG", "old debug", 1), _log(mine.id, "ERROR", "old error", 2),
                           _log(mine.id, "INFO", "new info", 9), _log(theirs.id, "DEBUG", "theirs", 1)])
        purge = LogFilter(namespace="p", levels=frozenset({"DEBUG", "INFO"}), time_to=at(5))
        assert store.delete_logs(purge) == 1
        assert [r.message for r in store.logs(mine.id)] == ["old error", "new info"]
        assert [r.message for r in store.logs(theirs.id)] == ["theirs"]

    def test_flow_revisions_oldest_first_including_deleted(self, store: SqlStore) -> None:
        for n in range(3):
            store.save_flow("ns", "flow", f"id: flow\nnamespace: ns\n# {n}\n", disabled=False, now=at(n))
        store.save_flow("ns", "other", "id: other\n", disabled=False, now=NOW)
        store.delete_flow("ns", "flow", at(9))
        revisions = store.flow_revisions("ns", "flow")
        assert [(r.revision, r.deleted) for r in revisions] == [(1, False), (2, False), (3, True)]
        assert revisions[0].source.endswith("# 0\n")
        assert store.flow_revisions("ns", "missing") == []

    def test_within_limits_searches_counts_and_logs_to_namespace_trees(self, store: SqlStore) -> None:
        dev, team, similar, ops = (_made(store, ns) for ns in ("dev", "dev.team", "development", "ops.x"))
        store.append_logs([_log(x.id, "INFO", f"line of {x.namespace}", 1) for x in (dev, team, similar, ops)])
        limited = ExecutionFilter(within=("dev", "ops"))
        assert sorted(_ids(store.search_executions(limited))) == sorted([dev.id, team.id, ops.id])
        assert _ids(store.search_executions(ExecutionFilter(namespace="dev", within=("dev.team",)))) == [team.id]
        assert store.search_executions(ExecutionFilter(within=()))[1] == 0
        counted = store.count_executions(limited, ["namespace"])
        assert sorted(c.key[0] for c in counted) == ["dev", "dev.team", "ops.x"]
        lines, total = store.search_logs(LogFilter(within=("dev",)))
        assert total == 2 and sorted(s.record.message for s in lines) == ["line of dev", "line of dev.team"]
