"""`legato trigger ...`: list the triggers of deployed flows, enable and disable them."""

from __future__ import annotations

import sys
from datetime import datetime

import click

from legato.cli.store_option import with_store
from legato.clock import utcnow
from legato.runtime import actions
from legato.runtime import triggers as trigger_actions
from legato.store.ports import Store

_COLUMNS = ("NAMESPACE", "FLOW", "TRIGGER", "TYPE", "ENABLED", "NEXT", "LAST")


@click.group()
def trigger() -> None:
    """List, enable and disable the triggers of deployed flows."""


@trigger.command("list")
@click.option("--namespace", help="Only the flows of this namespace.")
@click.option("--flow", "flow_id", help="Only the flows with this id.")
@with_store
def list_(store: Store, namespace: str | None, flow_id: str | None) -> None:
    """The triggers of the deployed flows with their state (dates in UTC)."""
    rows = trigger_actions.list_triggers(store, namespace, flow_id)
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
def enable(store: Store, namespace: str, flow_id: str, trigger_id: str) -> None:
    """Let a trigger fire again."""
    _set(store, namespace, flow_id, trigger_id, enabled=True)


@trigger.command("disable")
@click.argument("namespace")
@click.argument("flow_id")
@click.argument("trigger_id")
@with_store
def disable(store: Store, namespace: str, flow_id: str, trigger_id: str) -> None:
    """Stop a trigger from firing until it is enabled again."""
    _set(store, namespace, flow_id, trigger_id, enabled=False)


def _set(store: Store, namespace: str, flow_id: str, trigger_id: str, *, enabled: bool) -> None:
    try:
        row = trigger_actions.set_trigger_enabled(store, namespace, flow_id, trigger_id, enabled, now=utcnow())
    except actions.NotFoundError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(f"trigger {trigger_id} of {namespace}.{flow_id} {'enabled' if enabled else 'disabled'}")
    if enabled and row.disabled_in_source:
        click.echo(f"note: the flow's source sets `disabled: true` on {trigger_id}, so it still does not fire",
                   err=True)
