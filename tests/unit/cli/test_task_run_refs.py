"""How `execution replay|set-state` read TASK_RUN: a task run's id, a task's id (its only run), or `task_id.value`
(one run of a loop); anything else is refused naming what the execution has."""

from __future__ import annotations

import click
import pytest

from legato.cli.execution_cmd import _task_run

RUNS = [("tr1", "first", None), ("tr2", "each", "a"), ("tr3", "each", "b.c"), ("tr4", "last", None)]


def test_an_id_a_task_id_or_a_loop_value() -> None:
    assert _task_run("tr3", RUNS) == "tr3"
    assert _task_run("first", RUNS) == "tr1"
    assert _task_run("each.a", RUNS) == "tr2"
    assert _task_run("each.b.c", RUNS) == "tr3"  # a value may hold dots: the task id never does


def test_refusals_name_the_choices() -> None:
    with pytest.raises(click.BadParameter, match=r"'each' ran 2 times: name one run, each\.a, each\.b\.c"):
        _task_run("each", RUNS)
    with pytest.raises(click.BadParameter, match="no task run 'nope' in this execution; its tasks: each, first, last"):
        _task_run("nope", RUNS)
