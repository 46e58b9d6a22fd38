"""The stage an app shows for the execution it follows: a pure function of the execution's state and history."""

from __future__ import annotations

from collections.abc import Sequence

from legato.apps.model import App, Stage
from legato.model.state import State

_CREATED = frozenset({State.CREATED, State.QUEUED})
_SUCCESS = frozenset({State.SUCCESS, State.WARNING, State.SKIPPED})
_FAILURE = frozenset({State.FAILED, State.KILLED, State.CANCELLED})


def stage_of(state: State | None, history: Sequence[State] = ()) -> Stage:
    """OPEN without an execution; CREATED before it starts; PAUSE while paused; RESUME once running again after a
    pause; SUCCESS / FAILURE once ended; RUNNING otherwise (running, retrying, being killed...)."""
    if state is None:
        return Stage.OPEN
    if state in _CREATED:
        return Stage.CREATED
    if state == State.PAUSED:
        return Stage.PAUSE
    if state in _SUCCESS:
        return Stage.SUCCESS
    if state in _FAILURE:
        return Stage.FAILURE
    return Stage.RESUME if State.PAUSED in history else Stage.RUNNING


def shown_stage(app: App, stage: Stage) -> Stage:
    """The layout entry shown for `stage`: its own; RESUME without one shows RUNNING's; else FALLBACK's when the
    app has one; else the stage itself (no blocks)."""
    if app.has_stage(stage):
        return stage
    if stage == Stage.RESUME and app.has_stage(Stage.RUNNING):
        return Stage.RUNNING
    return Stage.FALLBACK if app.has_stage(Stage.FALLBACK) else stage
