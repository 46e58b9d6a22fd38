"""`legato dashboard ...`: list, apply (create or replace from YAML files), show, delete custom dashboards, and
export the rows of one chart as CSV, on the local server's database (or --database-url)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from legato.cli.store_option import with_store
from legato.clock import utcnow
from legato.dashboards.parse import parse_dashboard, parse_instant
from legato.model.errors import FlowValidationError
from legato.services import dashboards as dashboard_service
from legato.services.errors import ConflictError, NotFoundError
from legato.services.principal import Principal
from legato.store.ports import Store


@click.group()
def dashboard() -> None:
    """Custom dashboards (Kestra's YAML): charts over executions, flows, logs, metrics and triggers."""


@dashboard.command("list")
@with_store
def list_(store: Store, by: Principal) -> None:
    """The dashboards: id, title, number of charts, last update."""
    found = dashboard_service.search(store, by=by)
    for record in found:
        charts = len(dashboard_service.validate(record.source).charts)
        click.echo(f"{record.id}\t{record.title}\t{charts} charts\t{record.updated:%Y-%m-%d %H:%M:%S}")
    if not found:
        click.echo("no dashboards", err=True)


@dashboard.command("apply")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_store
def apply(store: Store, by: Principal, files: tuple[Path, ...]) -> None:
    """Create each dashboard of FILES, or replace the one with its id; all files are checked before any is saved."""
    sources = {}
    problems = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        try:
            parse_dashboard(text, name=str(path))
        except FlowValidationError as exc:
            problems.append(str(exc))
        sources[path] = text
    if problems:
        raise click.ClickException("invalid dashboard:\n" + "\n".join(problems))
    for path, text in sources.items():
        saved = dashboard_service.apply(store, text, by=by, now=utcnow())
        click.echo(f"dashboard {saved.record.id} {'created' if saved.created else 'updated'} ({path})", err=True)


@dashboard.command("show")
@click.argument("dashboard_id")
@with_store
def show(store: Store, by: Principal, dashboard_id: str) -> None:
    """Print the YAML of a dashboard."""
    try:
        record, _ = dashboard_service.get(store, dashboard_id, by=by)
    except NotFoundError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(record.source, nl=not record.source.endswith("\n"))


@dashboard.command("delete")
@click.argument("dashboard_id")
@with_store
def delete(store: Store, by: Principal, dashboard_id: str) -> None:
    """Delete a dashboard."""
    try:
        dashboard_service.delete(store, dashboard_id, by=by, now=utcnow())
    except NotFoundError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"dashboard {dashboard_id} deleted", err=True)


@dashboard.command("export")
@click.argument("dashboard_id")
@click.argument("chart_id")
@click.option("--start", "start_text", help="Start of the time range (ISO-8601; default: the dashboard's default "
                                            "time window before --end).")
@click.option("--end", "end_text", help="End of the time range (ISO-8601; default: now).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write the CSV here "
                                                                                       "instead of standard output.")
@with_store
def export(store: Store, by: Principal, dashboard_id: str, chart_id: str, start_text: str | None, end_text: str | None,
           output: Path | None) -> None:
    """The rows of chart CHART_ID of DASHBOARD_ID as CSV."""
    try:
        _, parsed = dashboard_service.get(store, dashboard_id, by=by)
        end = _instant(end_text, "--end") if end_text else utcnow()
        start = _instant(start_text, "--start") if start_text else end - parsed.time_window.default_span
        text = dashboard_service.export_csv(store, dashboard_id, chart_id, start, end, by=by)
    except (NotFoundError, ConflictError, dashboard_service.ChartRequestError) as exc:
        raise click.ClickException(str(exc)) from None
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"{text.count(chr(10)) - 1} rows written to {output}", err=True)


def _instant(text: str, option: str) -> datetime:
    try:
        return parse_instant(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not an ISO-8601 date-time", param_hint=option) from None
