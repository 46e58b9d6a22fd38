"""`legato execution ...`: look at and act on executions of a running server."""

from __future__ import annotations

import json
import sys

import click

from legato.api.serialize import execution_dto
from legato.cli.store_option import with_store
from legato.clock import utcnow
from legato.model.errors import InputsError
from legato.model.state import State
from legato.services import executions as service
from legato.services.errors import ConflictError, NotFoundError
from legato.services.principal import Principal
from legato.store.ports import Store


@click.group()
def execution() -> None:
    """List, inspect, kill, resume, restart and replay executions."""


def _act(action: object, *args: object, **kwargs: object) -> None:
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
def create(store: Store, by: Principal, namespace: str, flow_id: str, inputs: tuple[str, ...], labels: tuple[str, ...]) -> None:
    """Queue a new execution of a deployed flow; prints its id."""
    try:
        new = service.create_execution(store, namespace, flow_id, _pairs(inputs), by=by, now=utcnow(),
                                       labels=_pairs(labels))
    except (NotFoundError, InputsError, ValueError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(new.id)


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
def list_(store: Store, by: Principal, namespace: str | None, flow_id: str | None, states: tuple[str, ...], limit: int) -> None:
    """The latest executions, newest first."""
    found = store.list_executions(namespace=namespace, flow_id=flow_id,
                                  states=[State(s) for s in states] or None, limit=limit, tenant=by.tenant)
    for e in found:
        click.echo(f"{e.id}  {e.state:<9} {e.namespace}.{e.flow_id} rev {e.flow_revision}  {e.created:%Y-%m-%d %H:%M:%S}")


@execution.command("show")
@click.argument("execution_id")
@with_store
def show(store: Store, by: Principal, execution_id: str) -> None:
    """One execution with its task runs, as Kestra's JSON."""
    found = store.get_execution(execution_id, tenant=by.tenant)
    if found is None:
        click.echo(f"error: execution {execution_id} not found", err=True)
        sys.exit(1)
    click.echo(json.dumps(execution_dto(found, store.task_runs(execution_id)).wire(), indent=2))


@execution.command("kill")
@click.argument("execution_id")
@with_store
def kill(store: Store, by: Principal, execution_id: str) -> None:
    """Kill a running execution (and the subflow executions it started)."""
    _act(service.kill, store, execution_id, by=by)
    click.echo(f"kill requested for {execution_id}")


@execution.command("pause")
@click.argument("execution_id")
@with_store
def pause(store: Store, by: Principal, execution_id: str) -> None:
    """Pause a RUNNING execution: running tasks end, no task starts until it is resumed."""
    _act(service.pause, store, execution_id, by=by)
    click.echo(f"pause requested for {execution_id}")


@execution.command("resume")
@click.argument("execution_id")
@click.option("--input", "inputs", multiple=True, metavar="KEY=VALUE", help="An onResume input (repeatable).")
@with_store
def resume(store: Store, by: Principal, execution_id: str, inputs: tuple[str, ...]) -> None:
    """Resume a PAUSED execution."""
    _act(service.resume, store, execution_id, _pairs(inputs), by=by)
    click.echo(f"resume requested for {execution_id}")


@execution.command("restart")
@click.argument("execution_id")
@with_store
def restart(store: Store, by: Principal, execution_id: str) -> None:
    """Run the failed tasks of a FAILED or KILLED execution again, in the same execution."""
    _act(service.restart, store, execution_id, by=by)
    click.echo(f"restart requested for {execution_id}")


@execution.command("replay")
@click.argument("execution_id")
@click.argument("task_run_id")
@click.option("--revision", type=int, help="Replay on another revision of the flow.")
@with_store
def replay(store: Store, by: Principal, execution_id: str, task_run_id: str, revision: int | None) -> None:
    """A new execution that reuses earlier outputs and runs again from TASK_RUN_ID."""
    try:
        new = service.replay(store, execution_id, task_run_id, by=by, now=utcnow(), revision=revision)
    except (NotFoundError, ConflictError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(new.id)


@execution.command("set-state")
@click.argument("execution_id")
@click.argument("task_run_id")
@click.argument("state", type=click.Choice(["SUCCESS", "WARNING", "FAILED", "SKIPPED"]))
@with_store
def set_state(store: Store, by: Principal, execution_id: str, task_run_id: str, state: str) -> None:
    """Change a finished task run's state; the execution carries on from there."""
    _act(service.change_task_run_state, store, execution_id, task_run_id, State(state), by=by)
    click.echo(f"state change requested for {task_run_id}")
