"""The job queue: attempts of task runs leased to workers, fenced by (worker, attempt)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from legato.engine.events import Event
from legato.model.execution import Execution, LogRecord, TaskRun

if TYPE_CHECKING:  # executions.py names Job in its Tx: a runtime import would be circular
    from legato.store.ports.executions import StoredEvent, Tx


@dataclass(frozen=True)
class Job:
    id: int
    execution_id: str
    task_run_id: str
    attempt: int
    worker_group: str | None
    worker_id: str | None
    lease_expires_at: datetime | None


@dataclass(frozen=True)
class QueueDepth:
    """The jobs of one worker group: waiting for a worker, running on one, and when the oldest waiting was queued."""

    worker_group: str | None
    waiting: int
    running: int
    oldest_waiting: datetime | None


@dataclass(frozen=True)
class ClaimedJob:
    """A job leased to a worker of the executor's own process, with what the worker needs to run it."""

    job: Job
    execution: Execution
    task_run: TaskRun
    ancestors: tuple[TaskRun, ...] = ()  # the flowable runs above it, nearest first (for `parent(s)`)


class JobQueue(Protocol):
    """What workers do with jobs: claim, heartbeat, finish (fenced), hand back; and the expiry of lost leases."""

    def claim_jobs(self, worker_id: str, groups: Sequence[str | None], limit: int, lease: timedelta,
                   now: datetime) -> list[Job]: ...

    def claim_loaded(self, worker_id: str, groups: Sequence[str | None], limit: int, lease: timedelta,
                     now: datetime) -> list[tuple[Job, ClaimedJob | None]]:
        """claim_jobs, each job with its execution and task run as the claim found them (read in the same
        transaction; None when they no longer exist)."""
        ...

    def heartbeat(self, worker_id: str, job_ids: Sequence[int], lease: timedelta, now: datetime) -> set[int]:
        """Extend the leases; return the ids among `job_ids` whose cancellation was requested."""
        ...

    def finish_job(self, job: Job, result: Event, logs: Sequence[LogRecord] = ()) -> bool:
        """Delete the job and insert its result event (and the attempt's last logs), only if the worker
        still holds this attempt."""
        ...

    def finish_jobs(self, worker_id: str, results: Sequence[tuple[Job, Event, Sequence[LogRecord]]]) -> list[bool]:
        """finish_job for several jobs of `worker_id` in one transaction; for each, whether it was accepted
        (a job whose lease `worker_id` lost is fenced off alone, the others are accepted)."""
        ...

    def finish_and_process(self, job: Job, result: Event, logs: Sequence[LogRecord],
                           handler: Callable[[Tx, StoredEvent], None]) -> bool:
        """finish_job and the executor's handling of its result in one transaction, no event row written
        (used when the executor runs in the worker's process). False, nothing written, when fenced off."""
        ...

    def queue_depth(self) -> list[QueueDepth]:
        """The job queue by worker group (only groups with jobs), for metrics."""
        ...

    def expire_leases(self, now: datetime, limit: int = 100) -> int:
        """Turn jobs whose lease expired into JobLost events (job rows deleted); return how many."""
        ...

    def release_jobs(self, worker_id: str, job_ids: Sequence[int]) -> int:
        """Hand back jobs `worker_id` holds (same attempt, no lease) so another worker claims them now."""
        ...
