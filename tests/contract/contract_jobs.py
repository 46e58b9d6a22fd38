"""Contract: the job queue (claim with a lease, heartbeat, fenced finish, lost leases, cancellation)."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

from legato.engine.events import JobLost, TaskResult
from legato.model.state import State
from legato.store.ports import Job, Tx
from legato.store.sql import SqlStore

from .helpers import LEASE, NOW, at, drain, in_tx, started


def queue(store: SqlStore, *jobs: tuple[str, int, str | None]) -> str:
    """Queue (task_run_id, attempt, group) jobs on a fresh execution; its id."""
    ex = started(store)

    def insert(tx: Tx) -> None:
        for task_run_id, attempt, group in jobs:
            tx.insert_job(ex.id, task_run_id, attempt, group)

    in_tx(store, ex.id, insert)
    return ex.id


def result(job: Job) -> TaskResult:
    return TaskResult(task_run_id=job.task_run_id, attempt=job.attempt, state=State.SUCCESS, outputs={"ok": 1})


class JobContract:
    def test_queue_depth_counts_waiting_and_running_jobs_per_group(self, store: SqlStore) -> None:
        assert store.queue_depth() == []
        queue(store, ("a", 1, None), ("b", 1, None), ("c", 1, "gpu"))
        store.claim_jobs("w1", [None], 1, LEASE, NOW)
        by_group = {d.worker_group: d for d in store.queue_depth()}
        assert {g: (d.waiting, d.running) for g, d in by_group.items()} == {None: (1, 1), "gpu": (1, 0)}
        oldest = by_group[None].oldest_waiting
        assert oldest is not None and oldest.tzinfo is not None
        store.claim_jobs("w2", ["gpu"], 1, LEASE, NOW)
        assert {d.worker_group: (d.waiting, d.running, d.oldest_waiting) for d in store.queue_depth()}["gpu"] == \
            (0, 1, None)

    def test_claim_leases_oldest_jobs_of_the_groups_once(self, store: SqlStore) -> None:
        ex_id = queue(store, ("a", 1, None), ("b", 1, "gpu"), ("c", 1, None), ("d", 1, "cpu"), ("e", 1, None))
        first = store.claim_jobs("w1", [None], 2, LEASE, NOW)
        assert [(j.task_run_id, j.attempt, j.execution_id) for j in first] == [("a", 1, ex_id), ("c", 1, ex_id)]
        assert all(j.worker_id == "w1" and j.lease_expires_at == NOW + LEASE for j in first)
        assert [j.task_run_id for j in store.claim_jobs("w2", ["gpu", None], 10, LEASE, NOW)] == ["b", "e"]
        assert [j.task_run_id for j in store.claim_jobs("w3", ["cpu"], 10, LEASE, NOW)] == ["d"]
        assert store.claim_jobs("w4", [None, "gpu", "cpu"], 10, LEASE, NOW) == []
        assert store.claim_jobs("w4", [], 10, LEASE, NOW) == []

    def test_a_job_is_queued_once_per_attempt(self, store: SqlStore) -> None:
        queue(store, ("a", 1, None), ("a", 1, None), ("a", 2, None))
        assert [(j.task_run_id, j.attempt) for j in store.claim_jobs("w", [None], 10, LEASE, NOW)] == [("a", 1), ("a", 2)]

    def test_claimed_jobs_are_queued_leased_in_order_and_once(self, store: SqlStore) -> None:
        ex_id = queue(store, ("before", 1, None))
        attempts = [("b", 1, None), ("before", 1, None), ("a", 1, "gpu"), ("a", 2, None)]
        jobs = in_tx(store, ex_id, lambda tx: tx.insert_claimed_jobs(ex_id, attempts, ("w1", NOW + LEASE)))
        # the attempt queued before is left out; the others come back in the order asked, leased to w1
        assert [(j.task_run_id, j.attempt, j.worker_group) for j in jobs] == [("b", 1, None), ("a", 1, "gpu"), ("a", 2, None)]
        assert all(j.execution_id == ex_id and j.worker_id == "w1" and j.lease_expires_at == NOW + LEASE for j in jobs)
        assert len({j.id for j in jobs}) == 3
        assert in_tx(store, ex_id, lambda tx: tx.insert_claimed_jobs(ex_id, attempts[:1], ("w2", NOW + LEASE))) == []
        assert in_tx(store, ex_id, lambda tx: tx.insert_claimed_jobs(ex_id, [], ("w2", NOW + LEASE))) == []
        # leased already: nobody claims them; the one queued unclaimed before is still there to claim
        assert [j.task_run_id for j in store.claim_jobs("w3", [None, "gpu"], 10, LEASE, NOW)] == ["before"]
        assert store.finish_job(jobs[0], result(jobs[0]), [])

    def test_finish_is_fenced_by_worker_and_attempt(self, store: SqlStore) -> None:
        ex_id = queue(store, ("a", 1, None))
        job = store.claim_jobs("w1", [None], 1, LEASE, NOW)[0]
        assert store.finish_job(Job(**{**job.__dict__, "worker_id": "zombie"}), result(job)) is False
        assert store.finish_job(Job(**{**job.__dict__, "attempt": 2}), result(job)) is False
        assert drain(store) == []
        assert store.finish_job(job, result(job)) is True
        assert store.finish_job(job, result(job)) is False
        assert [(e.execution_id, e.event) for e in drain(store)] == [(ex_id, result(job))]

    def test_heartbeat_extends_own_leases_and_reports_cancellations(self, store: SqlStore) -> None:
        ex_id = queue(store, ("a", 1, None), ("b", 1, None), ("c", 1, None))
        mine = store.claim_jobs("w1", [None], 2, LEASE, NOW)
        theirs = store.claim_jobs("w2", [None], 1, LEASE, NOW)
        ids = [j.id for j in mine]
        assert store.heartbeat("w1", [*ids, theirs[0].id], LEASE, at(20)) == set()
        assert in_tx(store, ex_id, lambda tx: tx.request_cancel("b")) is True
        assert store.heartbeat("w1", ids, LEASE, at(40)) == {mine[1].id}
        assert store.heartbeat("w1", [], LEASE, at(40)) == set()
        # w1's leases now run to at(70); w2's lease was never extended by w1's heartbeat
        assert store.expire_leases(at(45)) == 1
        assert [e.event for e in drain(store)] == [JobLost(task_run_id="c", attempt=1)]
        assert store.expire_leases(at(69)) == 0

    def test_cancel_of_an_unclaimed_job_removes_it(self, store: SqlStore) -> None:
        ex_id = queue(store, ("a", 1, None), ("b", 1, None))
        assert in_tx(store, ex_id, lambda tx: tx.request_cancel("a")) is False
        assert in_tx(store, ex_id, lambda tx: tx.request_cancel("no-job")) is False
        assert [j.task_run_id for j in store.claim_jobs("w", [None], 10, LEASE, NOW)] == ["b"]

    def test_expired_leases_become_job_lost_events_and_fence_the_old_worker(self, store: SqlStore) -> None:
        ex_id = queue(store, ("a", 1, None), ("b", 1, None), ("c", 1, None))
        early = store.claim_jobs("w1", [None], 1, timedelta(seconds=10), NOW)
        late = store.claim_jobs("w2", [None], 1, timedelta(seconds=60), NOW)
        assert store.expire_leases(at(10)) == 0  # a lease is good until its expiry instant
        assert store.expire_leases(at(11)) == 1
        assert [(e.execution_id, e.event) for e in drain(store)] == [(ex_id, JobLost(task_run_id="a", attempt=1))]
        assert store.finish_job(early[0], result(early[0])) is False
        assert store.finish_job(late[0], result(late[0])) is True
        # "c" was never claimed, so it has no lease to lose
        assert store.expire_leases(at(3600)) == 0

    def test_expire_leases_respects_its_limit(self, store: SqlStore) -> None:
        queue(store, *[(f"r{i}", 1, None) for i in range(5)])
        store.claim_jobs("w", [None], 5, LEASE, NOW)
        assert store.expire_leases(at(31), limit=3) == 3
        assert store.expire_leases(at(31), limit=3) == 2
        assert len(drain(store)) == 5

    def test_concurrent_claimers_never_share_a_job(self, store: SqlStore) -> None:
        total = 120
        queue(store, *[(f"r{i}", 1, None) for i in range(total)])
        claimed: list[int] = []
        guard = threading.Lock()
        start = threading.Barrier(6)

        def worker(name: str) -> None:
            start.wait()
            while True:
                got = store.claim_jobs(name, [None], 3, LEASE, NOW)
                if not got:
                    return
                with guard:
                    claimed.extend(j.id for j in got)

        threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert len(claimed) == total
        assert Counter(claimed).most_common(1)[0][1] == 1
