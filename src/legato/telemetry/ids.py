"""Trace and span ids derived from Legato's own ids, so any process (the executor that ends an execution, the
worker that ends an attempt, the script that continues its trace) names the same span without sharing state."""

from __future__ import annotations

import hashlib


def _digest(kind: str, value: str, size: int) -> int:
    number = int.from_bytes(hashlib.sha256(f"legato:{kind}:{value}".encode()).digest()[:size], "big")
    return number or 1  # all-zero ids are invalid in W3C Trace Context


def trace_id(execution_id: str) -> int:
    """The 128-bit trace id of an execution."""
    return _digest("trace", execution_id, 16)


def execution_span_id(execution_id: str) -> int:
    """The 64-bit id of an execution's span (the root of its trace)."""
    return _digest("execution", execution_id, 8)


def attempt_span_id(task_run_id: str, attempt: int) -> int:
    """The 64-bit id of one attempt of a task run."""
    return _digest("attempt", f"{task_run_id}:{attempt}", 8)


def traceparent(execution_id: str, task_run_id: str, attempt: int, *, sampled: bool = True) -> str:
    """The W3C `traceparent` of a task attempt's span: what a script gets as TRACEPARENT to continue the trace."""
    flags = "01" if sampled else "00"
    return f"00-{trace_id(execution_id):032x}-{attempt_span_id(task_run_id, attempt):016x}-{flags}"
