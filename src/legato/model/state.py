"""Execution and task-run states (Kestra's set), their named groups and the one transition table."""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    CREATED = "CREATED"
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    RESTARTED = "RESTARTED"
    KILLING = "KILLING"
    SUCCESS = "SUCCESS"
    WARNING = "WARNING"
    FAILED = "FAILED"
    KILLED = "KILLED"
    CANCELLED = "CANCELLED"
    RETRYING = "RETRYING"
    RETRIED = "RETRIED"
    SKIPPED = "SKIPPED"
    RESUBMITTED = "RESUBMITTED"


# Accept no further events: the run is over and its result is final (until a restart re-opens it).
TERMINAL = frozenset(
    {State.SUCCESS, State.WARNING, State.FAILED, State.KILLED, State.CANCELLED, State.RETRIED, State.SKIPPED}
)
# Still moving: the executor or a worker owes this run further work.
ACTIVE = frozenset(State) - TERMINAL
# Ended well enough that the next task in a sequence may start.
SUCCESSFUL = frozenset({State.SUCCESS, State.WARNING, State.SKIPPED})
# Ended badly: the parent must consider its errors branch (unless allowFailure applies).
FAILURE = frozenset({State.FAILED, State.KILLED})
# A worker holds (or may hold) a job for a run in these states.
ON_WORKER = frozenset({State.RUNNING, State.RESUBMITTED, State.KILLING})

_T = {
    State.CREATED: {State.QUEUED, State.RUNNING, State.KILLING, State.KILLED, State.CANCELLED, State.SKIPPED,
                    State.FAILED, State.SUCCESS, State.WARNING, State.PAUSED},
    State.QUEUED: {State.RUNNING, State.CREATED, State.KILLING, State.KILLED, State.CANCELLED, State.FAILED},
    State.RUNNING: {State.SUCCESS, State.WARNING, State.FAILED, State.KILLING, State.KILLED, State.PAUSED,
                    State.RETRYING, State.RETRIED, State.RESUBMITTED, State.CANCELLED, State.SKIPPED},
    State.PAUSED: {State.RUNNING, State.KILLING, State.KILLED, State.SUCCESS, State.WARNING, State.FAILED,
                   State.CANCELLED},
    State.RESTARTED: {State.RUNNING, State.CREATED, State.KILLING, State.KILLED, State.FAILED},
    State.KILLING: {State.KILLED, State.FAILED, State.SUCCESS, State.WARNING},
    State.RETRYING: {State.RUNNING, State.RETRIED, State.KILLING, State.KILLED, State.FAILED},
    State.RESUBMITTED: {State.RUNNING, State.KILLING, State.KILLED, State.SUCCESS, State.WARNING,
                        State.FAILED},
    # Terminal states re-open only through restart (execution) or a status change by an operator.
    State.SUCCESS: {State.RESTARTED, State.FAILED, State.WARNING, State.KILLED, State.SKIPPED},
    State.WARNING: {State.RESTARTED, State.SUCCESS, State.FAILED, State.KILLED, State.SKIPPED},
    State.FAILED: {State.RESTARTED, State.RETRYING, State.SUCCESS, State.WARNING, State.KILLED, State.SKIPPED},
    State.KILLED: {State.RESTARTED, State.SUCCESS, State.WARNING, State.FAILED},
    State.CANCELLED: {State.RESTARTED},
    State.RETRIED: set(),
    State.SKIPPED: {State.RESTARTED, State.SUCCESS, State.WARNING, State.FAILED},
}
TRANSITIONS: dict[State, frozenset[State]] = {s: frozenset(t) for s, t in _T.items()}


def can_transition(current: State, new: State) -> bool:
    """True when `current -> new` is allowed (staying in the same state is always allowed)."""
    return current == new or new in TRANSITIONS[current]


def as_allowed(state: State, *, allow_failure: bool, allow_warning: bool) -> State:
    """A task's end state as its allowFailure/allowWarning let it count, as Kestra chains them: a failure
    allowed becomes a warning, and a warning allowed (including that one) becomes a success."""
    if state == State.FAILED and allow_failure:
        state = State.WARNING
    if state == State.WARNING and allow_warning:
        state = State.SUCCESS
    return state


def worst(states: list[State]) -> State:
    """The overall outcome of finished children as Kestra derives it: any failure wins, then warning."""
    if any(s == State.KILLED for s in states):
        return State.KILLED
    if any(s == State.FAILED for s in states):
        return State.FAILED
    if any(s == State.WARNING for s in states):
        return State.WARNING
    return State.SUCCESS
