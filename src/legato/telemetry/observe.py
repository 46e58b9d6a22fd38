"""What the roles report when work ends: metrics and spans together, after the transaction that recorded it
committed. A failure here is logged and never reaches the role: observing must not change the outcome."""

from __future__ import annotations

import logging

from legato.model.execution import Execution
from legato.telemetry import metrics, tracing
from legato.telemetry.tracing import Attempt

log = logging.getLogger("legato.telemetry")


def execution_ended(execution: Execution) -> None:
    """An execution reached a terminal state."""
    try:
        metrics.EXECUTIONS.labels(execution.state.value, execution.namespace).inc()
        if execution.ended is not None:
            seconds = max((execution.ended - execution.created).total_seconds(), 0.0)
            metrics.EXECUTION_DURATION.labels(execution.state.value, execution.namespace).observe(seconds)
        tracing.execution_ended(execution)
        log.info("execution %s of %s.%s ended %s", execution.id, execution.namespace, execution.flow_id,
                 execution.state.value, extra={"execution_id": execution.id})
    except Exception:
        log.exception("recording the end of execution %s failed", execution.id)


def flowable_ended(attempt: Attempt) -> None:
    """A task run the executor resolved itself (a flowable) ended: its span only (its children have their own)."""
    try:
        tracing.attempt_ended(attempt)
    except Exception:
        log.exception("recording the end of task run %s failed", attempt.task_run_id)


def attempt_ended(attempt: Attempt) -> None:
    """A task attempt ended on a worker."""
    try:
        seconds = max((attempt.ended - attempt.started).total_seconds(), 0.0)
        metrics.TASK_DURATION.labels(attempt.namespace, attempt.flow_id, attempt.task_type,
                                     attempt.state.value).observe(seconds)
        tracing.attempt_ended(attempt)
        log.info("task %s (attempt %d) of execution %s ended %s in %.3f s", attempt.task_id, attempt.attempt,
                 attempt.execution_id, attempt.state.value, seconds,
                 extra={"execution_id": attempt.execution_id, "task_run_id": attempt.task_run_id})
    except Exception:
        log.exception("recording the end of task run %s attempt %s failed", attempt.task_run_id, attempt.attempt)
