"""`legato trigger ...`: list the triggers of deployed flows, enable, disable, unlock and restart them, and
backfill Schedule triggers; in the tenant of --tenant (LEGATO_TENANT, default main), on the local server's data (or
--database-url) through the services, or with --server through the API's trigger routes of a running Legato."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NoReturn

import click

from legato.cli.store_option import Remote, Target, with_store
from legato.clock import utcnow
from legato.services.errors import ConflictError, NotFoundError

if TYPE_CHECKING:
    from legato.flows import Flows

# The services (and the store under them) load in the local branches: a command with --server imports neither.

_DATE_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M"]
_COLUMNS = ("NAMESPACE", "FLOW", "TRIGGER", "TYPE", "ENABLED", "NEXT", "LAST")


@click.group()
def trigger() -> None:
    """List, enable, disable, unlock and restart the triggers of deployed flows; backfill schedules."""


def _flows() -> Flows:
    """The deployed flows the services read the triggers from (local branches only: it loads the flow models)."""
    from legato.flows import Flows

    return Flows()


@trigger.command("list")
@click.option("--namespace", help="Only the flows of this namespace.")
@click.option("--flow", "flow_id", help="Only the flows with this id.")
@with_store
def list_(target: Target, namespace: str | None, flow_id: str | None) -> None:
    """The triggers of the deployed flows with their state (dates in UTC)."""
    if isinstance(target, Remote):
        rows = _remote_rows(target, namespace, flow_id)
    else:
        from legato.services import triggers as trigger_actions

        rows = [(r.namespace, r.flow_id, r.trigger_id, r.type, _enabled(r.disabled_in_source, r.enabled),
                 _date(r.state.next_date if r.state else None), _date(r.state.last_date if r.state else None))
                for r in trigger_actions.list_triggers(target.store, _flows(), namespace, flow_id,
                                                       tenant=target.by.tenant)]
    if not rows:
        click.echo("no triggers found", err=True)
        return
    table = [_COLUMNS, *rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(_COLUMNS))]
    for line in table:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())


def _remote_rows(remote: Remote, namespace: str | None, flow_id: str | None) -> list[tuple[str, ...]]:
    """The rows of `trigger list` from the API's trigger search (which takes child namespaces too: left out). The
    API leaves out the next date of a disabled trigger, which the database keeps for when it is enabled again."""
    params = {k: v for k, v in (("namespace", namespace), ("flowId", flow_id)) if v}
    contexts = [t["triggerContext"] for t in remote.results("/triggers/search", params)]
    return [(c["namespace"], c["flowId"], c["triggerId"], c["type"] or "", _enabled(c["disabledInSource"], not c["disabled"]),
             _date(_instant(c["nextExecutionDate"])), _date(_instant(c["date"])))
            for c in contexts if namespace is None or c["namespace"] == namespace]


def _enabled(disabled_in_source: bool, enabled: bool) -> str:
    if disabled_in_source:
        return "no (source)"  # `disabled: true` in the YAML: no toggle turns it on
    return "yes" if enabled else "no"


def _instant(text: str | None) -> datetime | None:
    """A date of the API (ISO-8601 with its offset) in UTC, as the local commands print them."""
    return datetime.fromisoformat(text).astimezone(UTC) if text else None


def _date(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S}" if value else "-"


def _key(namespace: str, flow_id: str, trigger_id: str) -> dict[str, str]:
    return {"namespace": namespace, "flowId": flow_id, "triggerId": trigger_id}


@trigger.command("enable")
@click.argument("namespace")
@click.argument("flow_id")
@click.argument("trigger_id")
@with_store
def enable(target: Target, namespace: str, flow_id: str, trigger_id: str) -> None:
    """Let a trigger fire again."""
    _set(target, namespace, flow_id, trigger_id, enabled=True)


@trigger.command("disable")
@click.argument("namespace")
@click.argument("flow_id")
@click.argument("trigger_id")
@with_store
def disable(target: Target, namespace: str, flow_id: str, trigger_id: str) -> None:
    """Stop a trigger from firing until it is enabled again."""
    _set(target, namespace, flow_id, trigger_id, enabled=False)


def _set(target: Target, namespace: str, flow_id: str, trigger_id: str, *, enabled: bool) -> None:
    if isinstance(target, Remote):
        body = _key(namespace, flow_id, trigger_id) | {"disabled": not enabled}
        disabled_in_source = bool(target.call("PUT", "/triggers", json=body).json()["disabledInSource"])
    else:
        from legato.services import triggers as trigger_actions

        try:
            disabled_in_source = trigger_actions.set_trigger_enabled(
                target.store, _flows(), namespace, flow_id, trigger_id, enabled, by=target.by, now=utcnow(),
            ).disabled_in_source
        except NotFoundError as exc:
            _fail(str(exc))
    click.echo(f"trigger {trigger_id} of {namespace}.{flow_id} {'enabled' if enabled else 'disabled'}")
    if enabled and disabled_in_source:
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
def unlock(target: Target, namespace: str, flow_id: str, trigger_id: str) -> None:
    """Forget the execution a trigger waits for, so that it fires again."""
    if isinstance(target, Remote):
        target.call("POST", f"/triggers/{namespace}/{flow_id}/{trigger_id}/unlock")
    else:
        from legato.services import triggers as trigger_actions

        try:
            trigger_actions.unlock_trigger(target.store, _flows(), namespace, flow_id, trigger_id, by=target.by,
                                           now=utcnow())
        except (NotFoundError, ConflictError) as exc:
            _fail(str(exc))
    click.echo(f"trigger {trigger_id} of {namespace}.{flow_id} unlocked")


@trigger.command("restart")
@click.argument("namespace")
@click.argument("flow_id")
@click.argument("trigger_id")
@with_store
def restart(target: Target, namespace: str, flow_id: str, trigger_id: str) -> None:
    """Start a trigger afresh from now (lock and source lease cleared; earlier dates are not recovered)."""
    if isinstance(target, Remote):
        target.call("POST", f"/triggers/{namespace}/{flow_id}/{trigger_id}/restart")
    else:
        from legato.services import triggers as trigger_actions

        try:
            trigger_actions.restart_trigger(target.store, _flows(), namespace, flow_id, trigger_id, by=target.by,
                                            now=utcnow())
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
def backfill(target: Target, namespace: str, flow_id: str, trigger_id: str, start: datetime,
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
    if isinstance(target, Remote):
        body = {"start": start.isoformat(), "end": end.isoformat() if end else None, "inputs": values or None,
                "labels": _pairs(labels, "--label")}
        made = target.call("PUT", "/triggers", json=_key(namespace, flow_id, trigger_id) | {"backfill": body}).json()
        first, last = _instant(made["backfill"]["start"]), _instant(made["backfill"]["end"])
    else:
        from legato.model.errors import InputsError
        from legato.services import backfills as backfill_actions

        try:
            created = backfill_actions.create(target.store, _flows(), namespace, flow_id, trigger_id, by=target.by,
                                              start=start, end=end, inputs=values or None,
                                              labels=_pairs(labels, "--label"), now=utcnow())
        except (NotFoundError, ConflictError, backfill_actions.InvalidBackfill, InputsError) as exc:
            _fail(str(exc))
        first, last = created.start, created.end
    click.echo(f"backfill of trigger {trigger_id} of {namespace}.{flow_id} created: "
               f"{_date(first)} to {_date(last)} (UTC)")


# action -> the API's route for it
_BACKFILL_ROUTES = {"paused": ("PUT", "/triggers/backfill/pause"), "resumed": ("PUT", "/triggers/backfill/unpause"),
                    "delete": ("POST", "/triggers/backfill/delete")}


def _backfill_command(name: str, action: str, doc: str) -> None:
    @trigger.command(name, help=doc)
    @click.argument("namespace")
    @click.argument("flow_id")
    @click.argument("trigger_id")
    @with_store
    def command(target: Target, namespace: str, flow_id: str, trigger_id: str) -> None:
        if isinstance(target, Remote):
            method, path = _BACKFILL_ROUTES[action]
            target.call(method, path, json=_key(namespace, flow_id, trigger_id))
        else:
            from legato.services import backfills as backfill_actions

            try:
                if action == "delete":
                    backfill_actions.delete(target.store, namespace, flow_id, trigger_id, by=target.by)
                else:
                    backfill_actions.set_paused(target.store, namespace, flow_id, trigger_id, action == "paused",
                                                by=target.by, now=utcnow())
            except NotFoundError as exc:
                _fail(str(exc))
        click.echo(f"backfill of trigger {trigger_id} of {namespace}.{flow_id} {action}")


_backfill_command("backfill-pause", "paused", "Pause the backfill of a trigger.")
_backfill_command("backfill-resume", "resumed", "Resume the paused backfill of a trigger.")
_backfill_command("backfill-delete", "delete", "Stop and forget the backfill of a trigger (its executions stay).")


@trigger.command("backfills")
@click.option("--namespace", help="Only the flows of this namespace.")
@with_store
def list_backfills(target: Target, namespace: str | None) -> None:
    """The backfills in progress: range, progress, executions created, paused or not."""
    if isinstance(target, Remote):
        rows = [_remote_backfill(c) for c in (t["triggerContext"] for t in target.results(
                    "/triggers/search", {"namespace": namespace} if namespace else {}))
                if c["backfill"] and (namespace is None or c["namespace"] == namespace)]
    else:
        rows = [(b.namespace, b.flow_id, b.trigger_id, b.start, b.end, b.cursor if b.cursor >= b.start else None,
                 b.fired, b.paused) for b in target.store.backfills(namespace, tenant=target.by.tenant)]
    if not rows:
        click.echo("no backfills", err=True)
        return
    for ns, flow_id, trigger_id, start, end, at, fired, paused in rows:
        click.echo(f"{ns}  {flow_id}  {trigger_id}  {_date(start)} -> {_date(end)}  "
                   f"at {_date(at) if at else 'not started'}  {fired} executions{'  PAUSED' if paused else ''}")


def _remote_backfill(context: dict[str, Any]) -> tuple[Any, ...]:
    """A backfill row of `trigger backfills` from a trigger context of the API (a backfill that created no
    execution yet has not started)."""
    b = context["backfill"]
    at = _instant(b["currentDate"]) if b["fired"] else None
    return (context["namespace"], context["flowId"], context["triggerId"], _instant(b["start"]), _instant(b["end"]), at,
            b["fired"], b["paused"])
