"""The job queue over SQL: claims with a lease, heartbeats, fenced results."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from legato.engine.events import Event, JobLost
from legato.model.execution import LogRecord
from legato.store.database import Database
from legato.store.ports import (
    ClaimedJob,
    Job,
    QueueDepth,
    StoredEvent,
    Tx,
)
from legato.store.queries import Queries
from legato.store.tx import SqlTx


class SqlJobs:
    """ports.JobQueue over SQL. `clock` stamps the result events it queues."""

    def __init__(self, db: Database, q: Queries, clock: Callable[[], datetime]):
        self._db = db
        self._q = q
        self._clock = clock

    def claim_jobs(self, worker_id: str, groups: Sequence[str | None], limit: int, lease: timedelta, now: datetime) -> list[Job]:
        with self._db.write() as tx:
            return self._q.jobs.claim(tx.conn, worker_id, groups, limit, now + lease)

    def claim_loaded(self, worker_id: str, groups: Sequence[str | None], limit: int, lease: timedelta,
                     now: datetime) -> list[tuple[Job, ClaimedJob | None]]:
        with self._db.write() as tx:
            claimed = self._q.jobs.claim(tx.conn, worker_id, groups, limit, now + lease)
            loaded = self._q.task_runs.with_executions(tx.conn, [j.task_run_id for j in claimed])
        out: list[tuple[Job, ClaimedJob | None]] = []
        for job in claimed:
            found = loaded.get(job.task_run_id)
            out.append((job, ClaimedJob(job=job, execution=found[1], task_run=found[0]) if found else None))
        return out

    def heartbeat(self, worker_id: str, job_ids: Sequence[int], lease: timedelta, now: datetime) -> set[int]:
        with self._db.write() as tx:
            return self._q.jobs.heartbeat(tx.conn, worker_id, job_ids, now + lease)

    def finish_job(self, job: Job, result: Event, logs: Sequence[LogRecord] = ()) -> bool:
        with self._db.write() as tx:
            if not self._q.jobs.finish(tx.conn, job):
                return False
            if logs:
                self._q.logs.append(tx.conn, logs)
            self._q.events.insert(tx.conn, job.execution_id, result, self._clock())
            tx.touch("events")
            return True

    def finish_jobs(self, worker_id: str, results: Sequence[tuple[Job, Event, Sequence[LogRecord]]]) -> list[bool]:
        with self._db.write() as tx:
            accepted = self._q.jobs.finish_many(tx.conn, worker_id, [(j.id, j.attempt) for j, _, _ in results])
            kept = [(j, event, logs) for j, event, logs in results if j.id in accepted]
            self._q.logs.append(tx.conn, [record for _, _, logs in kept for record in logs])
            self._q.events.insert_many(tx.conn, [(j.execution_id, event) for j, event, _ in kept], self._clock())
            if kept:
                tx.touch("events")
        return [j.id in accepted for j, _, _ in results]

    def finish_and_process(self, job: Job, result: Event, logs: Sequence[LogRecord],
                           handler: Callable[[Tx, StoredEvent], None]) -> bool:
        with self._db.write() as tx:
            if not self._q.jobs.finish(tx.conn, job):
                return False
            if logs:
                self._q.logs.append(tx.conn, logs)
            if self._db.dialect.concurrent_writers:  # the runs are read once the row lock is held (lock_with_run)
                execution = self._q.executions.lock(tx.conn, job.execution_id)
                runs = self._q.task_runs.get_many_with_parents(tx.conn, [job.task_run_id]) if execution else []
                locked = (execution, runs) if execution else None
            else:
                locked = self._q.executions.lock_with_run(tx.conn, job.execution_id, job.task_run_id)
            if locked is None:
                return True
            execution, runs = locked
            stored = StoredEvent(id=0, execution_id=job.execution_id, event=result, created=self._clock())  # type: ignore[arg-type]
            sql_tx = SqlTx(tx, self._q, execution, self._clock)
            sql_tx.view().known(runs)
            handler(sql_tx, stored)
            sql_tx.flush()
            return True

    def queue_depth(self) -> list[QueueDepth]:
        with self._db.read() as conn:
            return self._q.jobs.depth(conn)

    def expire_leases(self, now: datetime, limit: int = 100) -> int:
        with self._db.write() as tx:
            lost = self._q.jobs.expire(tx.conn, now, limit)
            events: list[tuple[str, Event]] = [(x, JobLost(task_run_id=r, attempt=a)) for x, r, a in lost]
            self._q.events.insert_many(tx.conn, events, self._clock())
            if events:
                tx.touch("events")
            return len(events)

    def release_jobs(self, worker_id: str, job_ids: Sequence[int]) -> int:
        with self._db.write() as tx:
            released = self._q.jobs.release(tx.conn, worker_id, job_ids)
            if released:
                tx.touch("jobs")
            return released
