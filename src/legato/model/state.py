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

# Terminal states re-open only through a restart, a replay or an operator's state change: the re-run runs
# go to RESTARTED or straight back to RUNNING (as Kestra does with the flowables above a restarted task and a
# replayed run); a run whose job is lost or retried while an operator's pause holds the execution waits CREATED.
_REOPENED = {State.RESTARTED, State.RUNNING}
_T = {
    State.CREATED: {State.QUEUED, State.RUNNING, State.KILLING, State.KILLED, State.CANCELLED, State.SKIPPED,
                    State.FAILED, State.SUCCESS, State.WARNING, State.PAUSED},
    State.QUEUED: {State.RUNNING, State.CREATED, State.KILLING, State.KILLED, State.CANCELLED, State.FAILED},
    State.RUNNING: {State.SUCCESS, State.WARNING, State.FAILED, State.KILLING, State.KILLED, State.PAUSED,
                    State.RETRYING, State.RETRIED, State.RESUBMITTED, State.CANCELLED, State.SKIPPED, State.CREATED},
    State.PAUSED: {State.RUNNING, State.KILLING, State.KILLED, State.SUCCESS, State.WARNING, State.FAILED,
                   State.CANCELLED},
    State.RESTARTED: {State.RUNNING, State.CREATED, State.KILLING, State.KILLED, State.FAILED},
    State.KILLING: {State.KILLED, State.FAILED, State.SUCCESS, State.WARNING},
    State.RETRYING: {State.RUNNING, State.RETRIED, State.KILLING, State.KILLED, State.FAILED, State.CREATED},
    # a resubmitted attempt's result can come before the worker says it started it (a failure then retries)
    State.RESUBMITTED: {State.RUNNING, State.KILLING, State.KILLED, State.SUCCESS, State.WARNING,
                        State.FAILED, State.CREATED, State.RETRYING, State.RETRIED},
    # An operator may also set a finished run's (or execution's) state to another final one.
    State.SUCCESS: _REOPENED | {State.FAILED, State.WARNING, State.KILLED, State.SKIPPED},
    State.WARNING: _REOPENED | {State.SUCCESS, State.FAILED, State.KILLED, State.SKIPPED},
    State.FAILED: _REOPENED | {State.RETRYING, State.SUCCESS, State.WARNING, State.KILLED, State.SKIPPED},
    State.KILLED: _REOPENED | {State.SUCCESS, State.WARNING, State.FAILED},
    State.CANCELLED: {State.RESTARTED},
    State.RETRIED: {State.RUNNING},  # only a replay runs it again
    State.SKIPPED: _REOPENED | {State.SUCCESS, State.WARNING, State.FAILED},
}
TRANSITIONS: dict[State, frozenset[State]] = {s: frozenset(t) for s, t in _T.items()}


def can_transition(current: State, new: State) -> bool:
    """True when `current -> new` is allowed (staying in the same state is always allowed)."""
    return current == new or new in TRANSITIONS[current]


class IllegalTransition(ValueError):
    """A state change the transition table forbids: a bug of the engine, never a user's error."""

    def __init__(self, what: str, current: State, new: State):
        super().__init__(f"{what} cannot go from {current} to {new}")
        self.current = current
        self.new = new


def check_transition(what: str, current: State, new: State) -> None:
    """Raise IllegalTransition unless `current -> new` is allowed; `what` names the record for the message."""
    if not can_transition(current, new):
        raise IllegalTransition(what, current, new)


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
