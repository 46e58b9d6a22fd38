"""`legato dashboard ...`: list, apply (create or replace from YAML files), show, delete custom dashboards, and
export the rows of one chart as CSV, on the local server's database (or --database-url), or with --server through
the API of a running Legato."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from legato.cli.store_option import Remote, Target, with_store
from legato.clock import utcnow
from legato.services.errors import ConflictError, NotFoundError

# The services (and the store under them) load in the local branches, the dashboard model where a command parses
# one: a command with --server imports only what it uses.


@click.group()
def dashboard() -> None:
    """Custom dashboards (Kestra's YAML): charts over executions, flows, logs, metrics and triggers."""


@dashboard.command("list")
@with_store
def list_(target: Target) -> None:
    """The dashboards: id, title, number of charts, last update ("-" for the built-in default)."""
    found: list[tuple[str, str, int, datetime | None]]
    if isinstance(target, Remote):
        found = [(d["id"], d["title"], len(d["charts"]),
                  datetime.fromisoformat(d["updated"]).astimezone(UTC) if d["updated"] else None)
                 for d in target.results("/dashboards")]
    else:
        from legato.services import dashboards as dashboard_service

        found = [(r.id, r.title, len(dashboard_service.validate(r.source).charts),
                  None if r.updated == dashboard_service.BUILT_IN else r.updated)
                 for r in dashboard_service.search(target.store, by=target.by)]
    for dashboard_id, title, charts, updated in found:
        click.echo(f"{dashboard_id}\t{title}\t{charts} charts\t{f'{updated:%Y-%m-%d %H:%M:%S}' if updated else '-'}")
    if not found:
        click.echo("no dashboards", err=True)


@dashboard.command("apply")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_store
def apply(target: Target, files: tuple[Path, ...]) -> None:
    """Create each dashboard of FILES, or replace the one with its id; all files are checked before any is saved."""
    from legato.dashboards.parse import parse_dashboard
    from legato.model.errors import FlowValidationError

    sources = {}
    problems = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        try:
            sources[path] = (parse_dashboard(text, name=str(path)).id, text)
        except FlowValidationError as exc:
            problems.append(str(exc))
    if problems:
        raise click.ClickException("invalid dashboard:\n" + "\n".join(problems))
    for path, (dashboard_id, text) in sources.items():
        if isinstance(target, Remote):
            yaml = {"content": text, "headers": {"Content-Type": "application/x-yaml"}}
            created = target.client.get(f"/dashboards/{dashboard_id}").status_code == 404
            if created:
                target.call("POST", "/dashboards", **yaml)
            else:
                target.call("PUT", f"/dashboards/{dashboard_id}", **yaml)
        else:
            from legato.services import dashboards as dashboard_service

            created = dashboard_service.apply(target.store, text, by=target.by, now=utcnow()).created
        click.echo(f"dashboard {dashboard_id} {'created' if created else 'updated'} ({path})", err=True)


@dashboard.command("show")
@click.argument("dashboard_id")
@with_store
def show(target: Target, dashboard_id: str) -> None:
    """Print the YAML of a dashboard."""
    if isinstance(target, Remote):
        source: str = target.call("GET", f"/dashboards/{dashboard_id}").json()["sourceCode"]
    else:
        from legato.services import dashboards as dashboard_service

        try:
            source = dashboard_service.get(target.store, dashboard_id, by=target.by)[0].source
        except NotFoundError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(source, nl=not source.endswith("\n"))


@dashboard.command("delete")
@click.argument("dashboard_id")
@with_store
def delete(target: Target, dashboard_id: str) -> None:
    """Delete a dashboard."""
    if isinstance(target, Remote):
        target.call("DELETE", f"/dashboards/{dashboard_id}")
    else:
        from legato.services import dashboards as dashboard_service

        try:
            dashboard_service.delete(target.store, dashboard_id, by=target.by, now=utcnow())
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
def export(target: Target, dashboard_id: str, chart_id: str, start_text: str | None, end_text: str | None,
           output: Path | None) -> None:
    """The rows of chart CHART_ID of DASHBOARD_ID as CSV."""
    end = _instant(end_text, "--end") if end_text else utcnow()
    start = _instant(start_text, "--start") if start_text else None
    if isinstance(target, Remote):
        if start is None:
            from legato.model.durations import parse_duration

            window = target.call("GET", f"/dashboards/{dashboard_id}").json()["timeWindow"]["default"]
            start = end - parse_duration(window)
        text = target.call("POST", f"/dashboards/{dashboard_id}/charts/{chart_id}/export/to-csv",
                           json={"startDate": start.isoformat(), "endDate": end.isoformat()}).text
    else:
        from legato.services import dashboards as dashboard_service

        try:
            if start is None:
                start = end - dashboard_service.get(target.store, dashboard_id, by=target.by)[1].time_window.default_span
            text = dashboard_service.export_csv(target.store, dashboard_id, chart_id, start, end, by=target.by)
        except (NotFoundError, ConflictError, dashboard_service.ChartRequestError) as exc:
            raise click.ClickException(str(exc)) from None
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"{text.count(chr(10)) - 1} rows written to {output}", err=True)


def _instant(text: str, option: str) -> datetime:
    from legato.dashboards.parse import parse_instant

    try:
        return parse_instant(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not an ISO-8601 date-time", param_hint=option) from None
