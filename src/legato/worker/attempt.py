"""One attempt of a runnable task on a worker: run it, and turn how it ended (outputs, TaskFailed, a
timeout, a kill, a bug) into an Outcome. Shared by plain jobs and the children of a WorkingDirectory."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any

from legato import logfields
from legato.engine import events as ev
from legato.expressions import Masker
from legato.model.durations import format_duration
from legato.model.state import State
from legato.plugins.context import TaskFailed
from legato.plugins.runnable import RunnableTask, task_timeout
from legato.storage import StorageError
from legato.worker import assets
from legato.worker.context import WorkerContext

log = logging.getLogger("legato.worker")


@dataclass
class Outcome:
    state: State
    outputs: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    effects: ev.Effects | None = None
    metrics: list[dict[str, Any]] = field(default_factory=list)
    runner: str | None = None  # the runner that ran a script task's command


async def run_attempt(task: RunnableTask, wctx: WorkerContext, masker: Masker, cancelled: asyncio.Event) -> Outcome:
    """Run `task` once with `wctx`; a kill (`cancelled`) or its timeout stops it."""
    timeout: timedelta | None = None
    try:
        timeout = task_timeout(wctx, task)
        outputs = await until_cancelled(task.run(wctx), cancelled, timeout)
        state = State.WARNING if wctx.effects.warning else State.SUCCESS
        error = None
        if task.assets is not None:  # only tasks that declare assets pay for them
            state, error = await assets.record(task.assets, wctx, state, partial(masked, masker))
        return Outcome(state, masked(masker, outputs), error=error, effects=effects_of(wctx), metrics=_metrics(wctx),
                       runner=_runner(wctx))
    except TaskFailed as exc:
        if exc.state == State.FAILED:
            wctx.logger.error(masker.mask(exc.log_message))
        return Outcome(exc.state, masked(masker, exc.outputs), error=masker.mask(str(exc)), effects=effects_of(wctx),
                       metrics=_metrics(wctx), runner=_runner(wctx))
    except StorageError as exc:  # a URI out of the execution's reach, or no such file: the flow's problem
        message = masker.mask(str(exc))
        wctx.logger.error(message)
        return Outcome(State.FAILED, error=message, effects=effects_of(wctx), metrics=_metrics(wctx),
                       runner=_runner(wctx))
    except TimeoutError:
        message = timeout_message(task.id, timeout)
        wctx.logger.error(message)
        return Outcome(State.FAILED, error=message)
    except Exception as exc:
        message = masker.mask(f"{type(exc).__name__}: {exc}")
        log.exception("task %s failed unexpectedly", task.id,
                      extra=logfields.lifecycle("task-crashed", execution_id=wctx.execution.id,
                                                task_run_id=wctx.task_run.id))
        wctx.logger.error(message)
        return Outcome(State.FAILED, error=message)


def _runner(wctx: WorkerContext) -> str | None:
    runner = wctx.effects.extra.get("runner")
    return str(runner) if runner else None


def _metrics(wctx: WorkerContext) -> list[dict[str, Any]]:
    return list(wctx.effects.extra.get("metrics") or [])


def masked(masker: Masker, value: Any) -> Any:
    """Outputs with every secret value replaced by its mask."""
    if isinstance(value, str):
        return masker.mask(value)
    if isinstance(value, dict):
        return {k: masked(masker, v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [masked(masker, v) for v in value]
    return value


def timeout_message(task_id: str, timeout: timedelta | None) -> str:
    """The error of a task stopped by its timeout, in Kestra's words ("Timeout after ..."), naming the task."""
    after = format_duration(timeout) if timeout is not None else "its timeout"
    return f"Timeout after {after}: task '{task_id}' was stopped"


async def until_cancelled(runner: Any, cancelled: asyncio.Event, timeout: timedelta | None) -> Any:
    """Await the task's coroutine; a kill cancels it (TaskFailed KILLED), a timeout raises TimeoutError."""
    work = asyncio.ensure_future(runner)
    stop = asyncio.create_task(cancelled.wait(), name="kill-watch")
    done, _ = await asyncio.wait({work, stop}, timeout=timeout.total_seconds() if timeout else None,
                                 return_when=asyncio.FIRST_COMPLETED)
    stop.cancel()
    if work in done:
        return work.result()
    work.cancel()
    await asyncio.gather(work, return_exceptions=True)
    if stop in done:
        raise TaskFailed("Task killed", State.KILLED)
    raise TimeoutError


def effects_of(wctx: WorkerContext) -> ev.Effects | None:
    e = wctx.effects
    if not (e.labels or e.set_variables or e.unset_variables or e.exit_state):
        return None
    return ev.Effects(labels=e.labels, set_variables=e.set_variables, unset_variables=e.unset_variables,
                      exit_state=e.exit_state)
