"""The stage an app shows follows its execution's state; a stage without blocks falls back."""

from __future__ import annotations

import pytest

from legato.apps import Stage, parse_app, shown_stage, stage_of
from legato.model.state import State

APP = """id: a
displayName: A
namespace: n
flowId: f
layout:
  - on: OPEN
    blocks: []
  - on: RUNNING
    blocks: []
  - on: FALLBACK
    blocks: []
"""


@pytest.mark.parametrize(("state", "history", "stage"), [
    (None, (), Stage.OPEN),
    (State.CREATED, (), Stage.CREATED),
    (State.QUEUED, (), Stage.CREATED),
    (State.RUNNING, (State.CREATED,), Stage.RUNNING),
    (State.PAUSED, (State.RUNNING,), Stage.PAUSE),
    (State.RUNNING, (State.RUNNING, State.PAUSED), Stage.RESUME),
    (State.KILLING, (), Stage.RUNNING),
    (State.SUCCESS, (), Stage.SUCCESS),
    (State.WARNING, (), Stage.SUCCESS),
    (State.FAILED, (), Stage.FAILURE),
    (State.KILLED, (), Stage.FAILURE),
])
def test_stage_of_state(state: State | None, history: tuple[State, ...], stage: Stage) -> None:
    assert stage_of(state, history) == stage


def test_shown_stage_falls_back() -> None:
    app = parse_app(APP)
    assert shown_stage(app, Stage.RUNNING) == Stage.RUNNING
    assert shown_stage(app, Stage.RESUME) == Stage.RUNNING  # resumed: shows RUNNING's blocks
    assert shown_stage(app, Stage.SUCCESS) == Stage.FALLBACK
    without = parse_app(APP.replace("  - on: FALLBACK\n    blocks: []\n", ""))
    assert shown_stage(without, Stage.SUCCESS) == Stage.SUCCESS
