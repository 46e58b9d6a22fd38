"""`legato trigger ...`: list the triggers of deployed flows, enable, disable, unlock and restart them, and
backfill Schedule triggers; in the tenant of --tenant (LEGATO_TENANT, default main)."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any, NoReturn

import click

from legato.cli.store_option import with_store
from legato.clock import utcnow
from legato.flows import Flows
from legato.model.errors import InputsError
from legato.services import backfills as backfill_actions
from legato.services import triggers as trigger_actions
from legato.services.errors import ConflictError, NotFoundError
from legato.services.principal import Principal
from legato.store.ports import Store

_DATE_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M"]
_COLUMNS = ("NAMESPACE", "FLOW", "TRIGGER", "TYPE", "ENABLED", "NEXT", "LAST")


@click.group()
def trigger() -> None:
    """List, enable, disable, unlock and restart the triggers of deployed flows; backfill schedules."""


@trigger.command("list")
@click.option("--namespace", help="Only the flows of this namespace.")
@click.option("--flow", "flow_id", help="Only the flows with this id.")
@with_store
def list_(store: Store, by: Principal, namespace: str | None, flow_id: str | None) -> None:
    """The triggers of the deployed flows with their state (dates in UTC)."""
    rows = trigger_actions.list_triggers(store, Flows(), namespace, flow_id, tenant=by.tenant)
    if not rows:
        click.echo("no triggers found", err=True)
        return
    table = [_COLUMNS] + [
        (r.namespace, r.flow_id, r.trigger_id, r.type, _enabled(r),
         _date(r.state.next_date if r.state else None), _date(r.state.last_date if r.state else None))
        for r in rows
    ]
    widths = [max(len(line[i]) for line in table) for i in range(len(_COLUMNS))]
    for line in table:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())


def _enabled(row: trigger_actions.TriggerRow) -> str:
    if row.disabled_in_source:
        return "no (source)"  # `disabled: true` in the YAML: no toggle turns it on
    return "yes" if row.enabled else "no"


def _date(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S}" if value else "-"


@trigger.command("enable")
@click.argument("namespace")
@click.argument("flow_id")
@click.argument("trigger_id")
@with_store
def enable(store: Store, by: Principal, namespace: str, flow_id: str, trigger_id: str) -> None:
    """Let a trigger fire again."""
    _set(store, by, namespace, flow_id, trigger_id, enabled=True)


@trigger.command("disable")
@click.argument("namespace")
@click.argument("flow_id")
@click.argument("trigger_id")
@with_store
def disable(store: Store, by: Principal, namespace: str, flow_id: str, trigger_id: str) -> None:
    """Stop a trigger from firing until it is enabled again."""
    _set(store, by, namespace, flow_id, trigger_id, enabled=False)


def _set(store: Store, by: Principal, namespace: str, flow_id: str, trigger_id: str, *, enabled: bool) -> None:
    try:
        row = trigger_actions.set_trigger_enabled(store, Flows(), namespace, flow_id, trigger_id, enabled, by=by,
                                                  now=utcnow())
    except NotFoundError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(f"trigger {trigger_id} of {namespace}.{flow_id} {'enabled' if enabled else 'disabled'}")
    if enabled and row.disabled_in_source:
        click.echo(f"note: the flow's source sets `disabled: true` on {trigger_id}, so it still does not fire",
                   err=True)


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


@trigger.command("unlock")
@click.argument("namespace")
@click.argument("flow_id")
@click.argument("trigger_id")
@with_store
def unlock(store: Store, by: Principal, namespace: str, flow_id: str, trigger_id: str) -> None:
    """Forget the execution a trigger waits for, so that it fires again."""
    try:
        trigger_actions.unlock_trigger(store, Flows(), namespace, flow_id, trigger_id, by=by, now=utcnow())
    except (NotFoundError, ConflictError) as exc:
        _fail(str(exc))
    click.echo(f"trigger {trigger_id} of {namespace}.{flow_id} unlocked")


@trigger.command("restart")
@click.argument("namespace")
@click.argument("flow_id")
@click.argument("trigger_id")
@with_store
def restart(store: Store, by: Principal, namespace: str, flow_id: str, trigger_id: str) -> None:
    """Start a trigger afresh from now (lock and source lease cleared; earlier dates are not recovered)."""
    try:
        trigger_actions.restart_trigger(store, Flows(), namespace, flow_id, trigger_id, by=by, now=utcnow())
    except NotFoundError as exc:
        _fail(str(exc))
    click.echo(f"trigger {trigger_id} of {namespace}.{flow_id} restarted")


def _pairs(values: tuple[str, ...], what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            _fail(f"{what} '{item}' must be written key=value")
        out[key] = value
    return out


@trigger.command("backfill")
@click.argument("namespace")
@click.argument("flow_id")
@click.argument("trigger_id")
@click.option("--start", required=True, type=click.DateTime(_DATE_FORMATS), help="First date to replay (UTC).")
@click.option("--end", type=click.DateTime(_DATE_FORMATS), help="Last date to replay (UTC; default: now).")
@click.option("--input", "inputs", multiple=True, help="An input of the backfilled executions, key=value.")
@click.option("--inputs", "inputs_json", help="Inputs as a JSON object (merged under --input).")
@click.option("--label", "labels", multiple=True, help="A label of the backfilled executions, key=value.")
@with_store
def backfill(store: Store, by: Principal, namespace: str, flow_id: str, trigger_id: str, start: datetime,
             end: datetime | None,
             inputs: tuple[str, ...], inputs_json: str | None, labels: tuple[str, ...]) -> None:
    """Replay the past dates of a Schedule trigger between --start and --end (a running scheduler fires them,
    one execution per date, labelled backfill=true)."""
    values: dict[str, Any] = {}
    if inputs_json:
        try:
            values = json.loads(inputs_json)
        except ValueError as exc:
            _fail(f"--inputs is not JSON: {exc}")
        if not isinstance(values, dict):
            _fail("--inputs must be a JSON object")
    values |= _pairs(inputs, "--input")
    try:
        created = backfill_actions.create(store, Flows(), namespace, flow_id, trigger_id, by=by, start=start, end=end,
                                          inputs=values or None, labels=_pairs(labels, "--label"), now=utcnow())
    except (NotFoundError, ConflictError, backfill_actions.InvalidBackfill, InputsError) as exc:
        _fail(str(exc))
    click.echo(f"backfill of trigger {trigger_id} of {namespace}.{flow_id} created: "
               f"{_date(created.start)} to {_date(created.end)} (UTC)")


def _backfill_command(name: str, action: str, doc: str) -> None:
    @trigger.command(name, help=doc)
    @click.argument("namespace")
    @click.argument("flow_id")
    @click.argument("trigger_id")
    @with_store
    def command(store: Store, by: Principal, namespace: str, flow_id: str, trigger_id: str) -> None:
        try:
            if action == "delete":
                backfill_actions.delete(store, namespace, flow_id, trigger_id, by=by)
            else:
                backfill_actions.set_paused(store, namespace, flow_id, trigger_id, action == "paused", by=by,
                                            now=utcnow())
        except NotFoundError as exc:
            _fail(str(exc))
        click.echo(f"backfill of trigger {trigger_id} of {namespace}.{flow_id} {action}")


_backfill_command("backfill-pause", "paused", "Pause the backfill of a trigger.")
_backfill_command("backfill-resume", "resumed", "Resume the paused backfill of a trigger.")
_backfill_command("backfill-delete", "delete", "Stop and forget the backfill of a trigger (its executions stay).")


@trigger.command("backfills")
@click.option("--namespace", help="Only the flows of this namespace.")
@with_store
def list_backfills(store: Store, by: Principal, namespace: str | None) -> None:
    """The backfills in progress: range, progress, executions created, paused or not."""
    found = store.backfills(namespace, tenant=by.tenant)
    if not found:
        click.echo("no backfills", err=True)
        return
    for b in found:
        done = _date(b.cursor) if b.cursor >= b.start else "not started"
        click.echo(f"{b.namespace}  {b.flow_id}  {b.trigger_id}  {_date(b.start)} -> {_date(b.end)}  "
                   f"at {done}  {b.fired} executions{'  PAUSED' if b.paused else ''}")
