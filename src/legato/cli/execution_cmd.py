"""`legato execution ...`: look at and act on executions of a running server."""

from __future__ import annotations

import json
import sys
from datetime import datetime

import click

from legato.cli import log_lines
from legato.cli.store_option import Remote, Target, with_store
from legato.clock import utcnow
from legato.model.state import State
from legato.services.errors import ConflictError, NotFoundError

# The services (and the store, the models and the API's serializers under them) load in the local branches: a
# command with --server imports none of them.


@click.group()
def execution() -> None:
    """List, inspect, read the logs of, kill, resume, restart and replay executions."""


def _act(action: object, *args: object, **kwargs: object) -> None:
    from legato.model.errors import InputsError

    try:
        action(*args, **kwargs)  # type: ignore[operator]
    except (NotFoundError, ConflictError, InputsError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)


@execution.command("create")
@click.argument("namespace")
@click.argument("flow_id")
@click.option("--input", "inputs", multiple=True, metavar="KEY=VALUE", help="An input value (repeatable).")
@click.option("--label", "labels", multiple=True, metavar="KEY=VALUE", help="A label (repeatable).")
@with_store
def create(target: Target, namespace: str, flow_id: str, inputs: tuple[str, ...], labels: tuple[str, ...]) -> None:
    """Queue a new execution of a deployed flow; prints its id. An --input the flow does not declare is refused
    with the ones it declares (the API would ignore it: a typo would run the flow with its default)."""
    _check_declared(_pairs(inputs), _declared(target, namespace, flow_id))
    if isinstance(target, Remote):
        form = [(k, v) for k, v in _pairs(inputs).items()]
        params = [("labels", f"{k}:{v}") for k, v in _pairs(labels).items()]
        click.echo(target.call("POST", f"/executions/{namespace}/{flow_id}", data=dict(form), params=params).json()["id"])
        return
    from legato.model.errors import InputsError
    from legato.services import executions as service

    store, by = target.store, target.by
    try:
        new = service.create_execution(store, namespace, flow_id, _pairs(inputs), by=by, now=utcnow(),
                                       labels=_pairs(labels))
    except (NotFoundError, InputsError, ValueError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(new.id)


def _declared(target: Target, namespace: str, flow_id: str) -> list[str] | None:
    """The input ids the live flow declares; None when there is no such flow (creating the execution says so)."""
    if isinstance(target, Remote):
        try:
            flow = target.call("GET", f"/flows/{namespace}/{flow_id}").json()
        except click.ClickException:
            return None  # creating the execution says what is wrong
        return [i["id"] for i in flow.get("inputs") or []]
    record = target.store.get_flow(namespace, flow_id, tenant=target.by.tenant)
    if record is None or record.deleted:
        return None
    from legato.flows import parse_flow

    return [i.id for i in parse_flow(record.source).inputs or []]


def _check_declared(given: dict[str, str], declared: list[str] | None) -> None:
    unknown = [key for key in given if declared is not None and key not in declared]
    if unknown:
        known = ", ".join(declared or []) or "none"
        raise click.BadParameter(f"the flow declares no input {', '.join(map(repr, unknown))}; its inputs: {known}",
                                 param_hint="--input")


def _pairs(items: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected KEY=VALUE, got {item!r}")
        out[key] = value
    return out


@execution.command("list")
@click.option("--namespace")
@click.option("--flow", "flow_id")
@click.option("--state", "states", multiple=True, type=click.Choice([s.value for s in State]))
@click.option("--limit", default=20, show_default=True)
@with_store
def list_(target: Target, namespace: str | None, flow_id: str | None, states: tuple[str, ...], limit: int) -> None:
    """The latest executions, newest first."""
    if isinstance(target, Remote):
        params = [("namespace", namespace), ("flowId", flow_id), ("size", limit), *(("state", s) for s in states)]
        for e in target.call("GET", "/executions/search", params=[(k, v) for k, v in params if v]).json()["results"]:
            started = datetime.fromisoformat(e["state"]["histories"][0]["date"])
            click.echo(f"{e['id']}  {e['state']['current']:<9} {e['namespace']}.{e['flowId']} rev {e['flowRevision']}  "
                       f"{started:%Y-%m-%d %H:%M:%S}")
        return
    store, by = target.store, target.by
    found = store.list_executions(namespace=namespace, flow_id=flow_id,
                                  states=[State(s) for s in states] or None, limit=limit, tenant=by.tenant)
    for e in found:
        click.echo(f"{e.id}  {e.state:<9} {e.namespace}.{e.flow_id} rev {e.flow_revision}  {e.created:%Y-%m-%d %H:%M:%S}")


@execution.command("show")
@click.argument("execution_id")
@with_store
def show(target: Target, execution_id: str) -> None:
    """One execution with its task runs, as Kestra's JSON."""
    if isinstance(target, Remote):
        click.echo(json.dumps(target.call("GET", f"/executions/{execution_id}").json(), indent=2))
        return
    store, by = target.store, target.by
    found = store.get_execution(execution_id, tenant=by.tenant)
    if found is None:
        click.echo(f"error: execution {execution_id} not found", err=True)
        sys.exit(1)
    from legato.api.serialize import execution_dto

    click.echo(json.dumps(execution_dto(found, store.task_runs(execution_id)).wire(), indent=2))


@execution.command("logs")
@click.argument("execution_id")
@click.option("--min-level", type=click.Choice(["TRACE", "DEBUG", "INFO", "WARN", "ERROR"], case_sensitive=False),
              help="Only lines of this level or above.")
@with_store
def logs(target: Target, execution_id: str, min_level: str | None) -> None:
    """The execution's log lines in the order they were written: time, level, task and attempt (`boom #1`: attempts
    count from 1), message."""
    level = min_level.upper() if min_level else None
    if isinstance(target, Remote):
        params = {"minLevel": level} if level else {}
        for e in target.call("GET", f"/logs/{execution_id}", params=params).json():
            stamp = datetime.fromisoformat(e["timestamp"])
            click.echo(log_lines.format_line(stamp, e["level"], e.get("taskId"), e.get("attemptNumber"), e["message"]))
        return
    if target.store.get_execution(execution_id, tenant=target.by.tenant) is None:
        click.echo(f"error: execution {execution_id} not found", err=True)
        sys.exit(1)
    for r in target.store.logs(execution_id, min_level=level):
        click.echo(log_lines.format_line(r.timestamp, r.level, r.task_id, r.attempt, r.message))


@execution.command("kill")
@click.argument("execution_id")
@with_store
def kill(target: Target, execution_id: str) -> None:
    """Kill a running execution (and the subflow executions it started)."""
    if isinstance(target, Remote):
        target.call("DELETE", f"/executions/{execution_id}/kill")
        click.echo(f"kill requested for {execution_id}")
        return
    from legato.services import executions as service

    store, by = target.store, target.by
    _act(service.kill, store, execution_id, by=by)
    click.echo(f"kill requested for {execution_id}")


@execution.command("pause")
@click.argument("execution_id")
@with_store
def pause(target: Target, execution_id: str) -> None:
    """Pause a RUNNING execution: running tasks end, no task starts until it is resumed."""
    if isinstance(target, Remote):
        target.call("POST", f"/executions/{execution_id}/pause")
        click.echo(f"pause requested for {execution_id}")
        return
    from legato.services import executions as service

    store, by = target.store, target.by
    _act(service.pause, store, execution_id, by=by)
    click.echo(f"pause requested for {execution_id}")


@execution.command("resume")
@click.argument("execution_id")
@click.option("--input", "inputs", multiple=True, metavar="KEY=VALUE", help="An onResume input (repeatable).")
@with_store
def resume(target: Target, execution_id: str, inputs: tuple[str, ...]) -> None:
    """Resume a PAUSED execution."""
    if isinstance(target, Remote):
        target.call("POST", f"/executions/{execution_id}/resume", data=_pairs(inputs))
        click.echo(f"resume requested for {execution_id}")
        return
    from legato.services import executions as service

    store, by = target.store, target.by
    _act(service.resume, store, execution_id, _pairs(inputs), by=by)
    click.echo(f"resume requested for {execution_id}")


@execution.command("restart")
@click.argument("execution_id")
@with_store
def restart(target: Target, execution_id: str) -> None:
    """Run the failed tasks of a FAILED or KILLED execution again, in the same execution."""
    if isinstance(target, Remote):
        target.call("POST", f"/executions/{execution_id}/restart")
        click.echo(f"restart requested for {execution_id}")
        return
    from legato.services import executions as service

    store, by = target.store, target.by
    _act(service.restart, store, execution_id, by=by)
    click.echo(f"restart requested for {execution_id}")


def _task_run(ref: str, runs: list[tuple[str, str, str | None]]) -> str:
    """The id of the task run `ref` names: its id, or `task_id` (the task's only run), or `task_id.value` (its run
    for that loop value); a clear error otherwise. `runs`: (id, task id, value) of the execution's task runs."""
    if any(run_id == ref for run_id, _, _ in runs):
        return ref
    task_id, dot, value = ref.partition(".")
    found = [(run_id, v) for run_id, t, v in runs if t == task_id and (not dot or v == value)]
    if len(found) == 1:
        return found[0][0]
    if not found:
        known = sorted({t for _, t, _ in runs})
        raise click.BadParameter(f"no task run {ref!r} in this execution; its tasks: {', '.join(known) or 'none'}",
                                 param_hint="TASK_RUN")
    values = ", ".join(f"{task_id}.{v}" for _, v in found)
    raise click.BadParameter(f"{task_id!r} ran {len(found)} times: name one run, {values}", param_hint="TASK_RUN")


def _runs(target: Target, execution_id: str) -> list[tuple[str, str, str | None]]:
    if isinstance(target, Remote):
        execution = target.call("GET", f"/executions/{execution_id}").json()
        return [(r["id"], r["taskId"], r.get("value")) for r in execution.get("taskRunList") or []]
    if target.store.get_execution(execution_id, tenant=target.by.tenant) is None:
        raise click.ClickException(f"execution {execution_id} not found")
    return [(r.id, r.task_id, r.value) for r in target.store.task_runs(execution_id)]


@execution.command("replay")
@click.argument("execution_id")
@click.argument("task_run", metavar="TASK_RUN")
@click.option("--revision", type=int, help="Replay on another revision of the flow.")
@with_store
def replay(target: Target, execution_id: str, task_run: str,
           revision: int | None) -> None:
    """A new execution that reuses earlier outputs and runs again from TASK_RUN (its id, `task_id`, or
    `task_id.value` for one run of a loop)."""
    task_run_id = _task_run(task_run, _runs(target, execution_id))
    if isinstance(target, Remote):
        params = {"taskRunId": task_run_id, **({"revision": revision} if revision is not None else {})}
        click.echo(target.call("POST", f"/executions/{execution_id}/replay", params=params).json()["id"])
        return
    from legato.services import executions as service

    store, by = target.store, target.by
    try:
        new = service.replay(store, execution_id, task_run_id, by=by, now=utcnow(), revision=revision)
    except (NotFoundError, ConflictError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(new.id)


@execution.command("set-state")
@click.argument("execution_id")
@click.argument("task_run", metavar="TASK_RUN")
@click.argument("state", type=click.Choice(["SUCCESS", "WARNING", "FAILED", "SKIPPED"]))
@with_store
def set_state(target: Target, execution_id: str, task_run: str,
              state: str) -> None:
    """Change a finished task run's state (TASK_RUN: its id, `task_id`, or `task_id.value`); the execution carries
    on from there."""
    task_run_id = _task_run(task_run, _runs(target, execution_id))
    if isinstance(target, Remote):
        target.call("POST", f"/executions/{execution_id}/state", json={"taskRunId": task_run_id, "state": state})
    else:
        from legato.services import executions as service

        _act(service.change_task_run_state, target.store, execution_id, task_run_id, State(state), by=target.by)
    click.echo(f"state change requested for {task_run_id}")
