"""Contract: the server registry, handing jobs back on shutdown, and retention purges."""

from __future__ import annotations

from datetime import timedelta

from legato.engine.events import ExecutionCreated
from legato.model.execution import LogRecord
from legato.model.state import State
from legato.store.ports import ServerRecord, Tx
from legato.store.sql import SqlStore

from .contract_jobs import queue
from .helpers import LEASE, NOW, at, drain, execution, in_tx, run


def server(server_id: str, *roles: str, beat: float = 0) -> ServerRecord:
    return ServerRecord(id=server_id, roles=roles, host="h1", pid=42, worker_groups=(None, "gpu"), slots=8,
                        started=NOW, heartbeat_at=at(beat))


def finished(store: SqlStore, ended_days_ago: float, *, state: State = State.SUCCESS) -> str:
    """A terminal execution that ended `ended_days_ago` days before NOW, with two task runs, a loop
    item and logs."""
    ended = NOW - timedelta(days=ended_days_ago)
    ex = execution(created=ended - timedelta(minutes=1))
    store.create_execution(ex, ExecutionCreated())
    drain(store)
    runs = [run(ex.id, "a", state=state), run(ex.id, "b", state=state)]

    def write(tx: Tx) -> None:
        done = ex.model_copy(update={"ended": ended, "state": state})
        tx.write(done, runs, {runs[0].id: ["x", "y"]})

    in_tx(store, ex.id, write)
    store.append_logs([LogRecord(execution_id=ex.id, task_run_id=r.id, level="INFO", message="m", timestamp=ended)
                       for r in runs])
    return ex.id


class OperationsContract:
    def test_servers_register_heartbeat_stop_and_list(self, store: SqlStore) -> None:
        store.register_server(server("s1", "executor", "worker"))
        store.register_server(server("s2", "webserver"))
        assert store.server_heartbeat("s1", at(10)) is True
        store.server_stopped("s2", at(11))
        assert store.server_heartbeat("s2", at(12)) is False  # a stopped server is not revived by a late beat
        assert store.server_heartbeat("ghost", at(12)) is False
        listed = {s.id: s for s in store.list_servers()}
        assert listed["s1"].roles == ("executor", "worker") and listed["s1"].heartbeat_at == at(10)
        assert listed["s1"].worker_groups == (None, "gpu") and listed["s1"].stopped is None
        assert listed["s2"].stopped == at(11)
        assert store.forget_servers(at(5)) == 1
        assert [s.id for s in store.list_servers()] == ["s1"]

    def test_released_jobs_are_claimed_again_at_once_with_the_same_attempt(self, store: SqlStore) -> None:
        queue(store, ("a", 1, None), ("b", 1, None))
        held = store.claim_jobs("w1", [None], 2, LEASE, NOW)
        assert store.release_jobs("someone-else", [j.id for j in held]) == 0
        assert store.release_jobs("w1", [held[0].id]) == 1
        again = store.claim_jobs("w2", [None], 5, LEASE, NOW)
        assert [(j.task_run_id, j.attempt, j.worker_id) for j in again] == [("a", 1, "w2")]
        assert store.finish_job(held[0], ExecutionCreated()) is False  # the old holder is fenced off

    def test_purge_deletes_old_finished_executions_with_what_they_own_in_batches(self, store: SqlStore) -> None:
        old = [finished(store, 40 + i) for i in range(3)]
        recent = finished(store, 1)
        running = execution(created=NOW - timedelta(days=90))
        store.create_execution(running, ExecutionCreated())
        first = store.purge_executions(NOW - timedelta(days=30), limit=2)
        assert (first.executions, first.task_runs, first.logs) == (2, 4, 4)
        second = store.purge_executions(NOW - timedelta(days=30), limit=2)
        assert second.executions == 1
        assert store.purge_executions(NOW - timedelta(days=30), limit=2).executions == 0
        for gone in old:
            assert store.get_execution(gone) is None
            assert store.task_runs(gone) == [] and store.logs(gone) == []
        assert store.get_execution(recent) is not None and len(store.task_runs(recent)) == 2
        assert store.get_execution(running.id) is not None  # never purged while not terminal
        assert [e.execution_id for e in drain(store)] == [running.id]  # its queued event is left alone

    def test_purge_logs_keeps_the_executions(self, store: SqlStore) -> None:
        old = finished(store, 10, state=State.FAILED)
        recent = finished(store, 1)
        assert store.purge_logs(NOW - timedelta(days=7)) == 2
        assert store.logs(old) == [] and len(store.logs(recent)) == 2
        assert store.get_execution(old).state == State.FAILED  # type: ignore[union-attr]
        assert len(store.task_runs(old)) == 2
