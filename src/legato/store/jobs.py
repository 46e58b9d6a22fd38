"""The job queue: attempts waiting for a worker, claimed with a lease, fenced by (id, attempt, worker_id)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    Select,
    bindparam,
    case,
    delete,
    false,
    func,
    select,
    true,
    tuple_,
    update,
)

from legato.store.dialect import Dialect
from legato.store.ports import Job, QueueDepth
from legato.store.schema import jobs

_j = jobs.c
_JOB_COLUMNS = (_j.id, _j.execution_id, _j.task_run_id, _j.attempt, _j.worker_group, _j.worker_id, _j.lease_expires_at)


def _unclaimed(named: bool, unnamed: bool) -> Select[Any]:
    group: ColumnElement[bool]
    if named and unnamed:
        group = _j.worker_group.in_(bindparam("groups", expanding=True)) | _j.worker_group.is_(None)
    elif named:
        group = _j.worker_group.in_(bindparam("groups", expanding=True))
    else:
        group = _j.worker_group.is_(None)
    return select(_j.id).where(group, _j.worker_id.is_(None)).order_by(_j.id).limit(bindparam("limit"))


class JobQueries:
    """Named queries over the jobs table."""

    def __init__(self, dialect: Dialect):
        self._insert = dialect.insert_ignore(jobs, ["task_run_id", "attempt"])
        self._insert_claimed = self._insert.returning(_j.id, _j.task_run_id, _j.attempt)
        self._claims = {
            (named, unnamed): (
                update(jobs)
                .where(_j.id.in_(dialect.skip_locked(_unclaimed(named, unnamed)).scalar_subquery()))
                .values(worker_id=bindparam("b_worker"), lease_expires_at=bindparam("b_expires"))
                .returning(*_JOB_COLUMNS)
            )
            for named, unnamed in ((True, True), (True, False), (False, True))
        }
        self._heartbeat = (
            update(jobs)
            .where(_j.worker_id == bindparam("b_worker"), _j.id.in_(bindparam("ids", expanding=True)))
            .values(lease_expires_at=bindparam("b_expires"))
            .returning(_j.id, _j.cancel_requested)
        )
        self._finish = delete(jobs).where(
            _j.id == bindparam("b_id"), _j.attempt == bindparam("b_attempt"), _j.worker_id == bindparam("b_worker")
        )
        self._finish_many = (
            delete(jobs)
            .where(_j.worker_id == bindparam("b_worker"), tuple_(_j.id, _j.attempt).in_(bindparam("keys", expanding=True)))
            .returning(_j.id)
        )
        self._release = (
            update(jobs)
            .where(_j.worker_id == bindparam("b_worker"), _j.id.in_(bindparam("ids", expanding=True)))
            .values(worker_id=None, lease_expires_at=None, cancel_requested=false())
        )
        run = _j.task_run_id == bindparam("b_run")
        self._drop_unclaimed = delete(jobs).where(run, _j.worker_id.is_(None))
        self._flag_cancel = update(jobs).where(run, _j.worker_id.is_not(None)).values(cancel_requested=true())
        expired = select(_j.id).where(_j.lease_expires_at < bindparam("now")).order_by(_j.lease_expires_at)
        self._expire = (
            delete(jobs)
            .where(_j.id.in_(dialect.skip_locked(expired.limit(bindparam("limit"))).scalar_subquery()))
            .returning(_j.execution_id, _j.task_run_id, _j.attempt)
        )

    def insert(self, conn: Connection, execution_id: str, task_run_id: str, attempt: int, group: str | None, now: datetime) -> bool:
        """Queue an attempt (once: a second insert of the same attempt does nothing); True when queued."""
        params = {
            "execution_id": execution_id, "task_run_id": task_run_id, "attempt": attempt,
            "worker_group": group, "created": now,
        }
        return conn.execute(self._insert, params).rowcount == 1

    def insert_many(self, conn: Connection, rows: Sequence[tuple[str, str, int, str | None, datetime]]) -> None:
        """Queue several attempts (execution, task run, attempt, group, created) in one statement; each once."""
        unique = {(r[1], r[2]): r for r in rows}
        if unique:
            conn.execute(self._insert, [
                {"execution_id": x, "task_run_id": t, "attempt": a, "worker_group": g, "created": c}
                for x, t, a, g, c in unique.values()
            ])

    def claim(self, conn: Connection, worker_id: str, groups: Sequence[str | None], limit: int, expires: datetime) -> list[Job]:
        """Lease up to `limit` unclaimed jobs of `groups` (None: jobs without a group), oldest first."""
        named = sorted({g for g in groups if g is not None})
        unnamed = any(g is None for g in groups)
        if limit <= 0 or not (named or unnamed):
            return []
        params: dict[str, Any] = {"b_worker": worker_id, "b_expires": expires, "limit": limit}
        if named:
            params["groups"] = named
        rows = conn.execute(self._claims[(bool(named), unnamed)], params).all()
        return sorted((_job(r) for r in rows), key=lambda j: j.id)

    def heartbeat(self, conn: Connection, worker_id: str, job_ids: Sequence[int], expires: datetime) -> set[int]:
        """Extend the leases `worker_id` holds among `job_ids`; the ids flagged for cancellation."""
        if not job_ids:
            return set()
        params = {"b_worker": worker_id, "ids": list(job_ids), "b_expires": expires}
        return {r.id for r in conn.execute(self._heartbeat, params) if r.cancel_requested}

    def insert_claimed(self, conn: Connection, execution_id: str, attempts: Sequence[tuple[str, int, str | None]],
                       worker_id: str, expires: datetime, now: datetime) -> list[Job]:
        """Queue attempts (task run id, attempt, group) already leased to `worker_id` (a worker in the executor's
        own process), in one statement; the jobs in the order of `attempts`, those queued before left out."""
        if not attempts:
            return []
        params = [
            {"execution_id": execution_id, "task_run_id": task_run_id, "attempt": attempt, "worker_group": group,
             "worker_id": worker_id, "lease_expires_at": expires, "created": now}
            for task_run_id, attempt, group in attempts
        ]
        ids = {(r.task_run_id, r.attempt): r.id for r in conn.execute(self._insert_claimed, params)}
        return [
            Job(id=ids[(task_run_id, attempt)], execution_id=execution_id, task_run_id=task_run_id, attempt=attempt,
                worker_group=group, worker_id=worker_id, lease_expires_at=expires)
            for task_run_id, attempt, group in attempts if (task_run_id, attempt) in ids
        ]

    def release(self, conn: Connection, worker_id: str, job_ids: Sequence[int]) -> int:
        """Put jobs `worker_id` holds back in the queue, unclaimed, with the same attempt."""
        if not job_ids:
            return 0
        return conn.execute(self._release, {"b_worker": worker_id, "ids": list(job_ids)}).rowcount

    def finish(self, conn: Connection, job: Job) -> bool:
        """Delete the job if `job.worker_id` still holds attempt `job.attempt`."""
        params = {"b_id": job.id, "b_attempt": job.attempt, "b_worker": job.worker_id}
        return conn.execute(self._finish, params).rowcount == 1

    def finish_many(self, conn: Connection, worker_id: str, finished: Sequence[tuple[int, int]]) -> set[int]:
        """Delete the jobs (id, attempt) `worker_id` still holds; the ids deleted."""
        if not finished:
            return set()
        rows = conn.execute(self._finish_many, {"b_worker": worker_id, "keys": list(finished)})
        return {r.id for r in rows}

    def request_cancel(self, conn: Connection, task_run_id: str) -> bool:
        """Drop the run's unclaimed jobs and flag its claimed ones; True when a worker holds one."""
        conn.execute(self._drop_unclaimed, {"b_run": task_run_id})
        return conn.execute(self._flag_cancel, {"b_run": task_run_id}).rowcount > 0

    def expire(self, conn: Connection, now: datetime, limit: int) -> list[tuple[str, str, int]]:
        """Delete up to `limit` jobs whose lease ended before `now`; their (execution, task run, attempt)."""
        rows = conn.execute(self._expire, {"now": now, "limit": limit}).all()
        return [(r.execution_id, r.task_run_id, r.attempt) for r in rows]

    def depth(self, conn: Connection) -> list[QueueDepth]:
        """Waiting and running jobs per worker group, with the creation time of the oldest waiting one."""
        waiting = _j.worker_id.is_(None)
        rows = conn.execute(select(
            _j.worker_group, func.count().filter(waiting).label("waiting"),
            func.count().filter(~waiting).label("running"),
            func.min(case((waiting, _j.created))).label("oldest"),
        ).group_by(_j.worker_group)).all()
        return [QueueDepth(r.worker_group, r.waiting, r.running, r.oldest) for r in rows]


def _job(row: Row[Any]) -> Job:
    return Job(
        id=row.id, execution_id=row.execution_id, task_run_id=row.task_run_id, attempt=row.attempt,
        worker_group=row.worker_group, worker_id=row.worker_id, lease_expires_at=row.lease_expires_at,
    )
