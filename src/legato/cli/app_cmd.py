"""`legato app ...`: list, validate, apply (create or replace from YAML files), show and delete apps, on the local
server's database (or --database-url)."""

from __future__ import annotations

from pathlib import Path

import click

from legato.apps import parse_app
from legato.cli.store_option import with_store
from legato.clock import utcnow
from legato.model.errors import FlowValidationError
from legato.services import apps as app_service
from legato.services.app_runtime import app_url
from legato.services.errors import NotFoundError
from legato.services.principal import Principal
from legato.store.ports import Store


@click.group()
def app() -> None:
    """Apps (Kestra's io.kestra.plugin.ee.apps.Execution): forms over flows, served at /ui/main/apps/<id>."""


@app.command("list")
@with_store
def list_(store: Store, by: Principal) -> None:
    """The apps: id, display name, namespace.flow, access, page."""
    found = app_service.search(store, by=by)
    for record, _ in found:
        click.echo(f"{record.id}\t{record.display_name}\t{record.namespace}.{record.flow_id}\t{record.access}\t"
                   f"{app_url(record.id)}")
    if not found:
        click.echo("no apps", err=True)


def _read(files: tuple[Path, ...]) -> dict[Path, str]:
    sources, problems = {}, []
    for path in files:
        text = path.read_text(encoding="utf-8")
        try:
            parse_app(text, name=str(path))
        except FlowValidationError as exc:
            problems.append(str(exc))
        sources[path] = text
    if problems:
        raise click.ClickException("invalid app:\n" + "\n".join(problems))
    return sources


@app.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def validate(files: tuple[Path, ...]) -> None:
    """Check app YAML files (every problem with its file, line and path); nothing is saved."""
    for path in _read(files):
        click.echo(f"{path}: valid", err=True)


@app.command("apply")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_store
def apply(store: Store, by: Principal, files: tuple[Path, ...]) -> None:
    """Create each app of FILES, or replace the one with its id; all files are checked before any is saved."""
    for path, text in _read(files).items():
        saved = app_service.apply(store, text, by=by, now=utcnow())
        click.echo(f"app {saved.record.id} {'created' if saved.created else 'updated'} ({path})", err=True)


@app.command("show")
@click.argument("app_id")
@with_store
def show(store: Store, by: Principal, app_id: str) -> None:
    """Print the YAML of an app."""
    try:
        record, _ = app_service.get(store, app_id, by=by)
    except NotFoundError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(record.source, nl=not record.source.endswith("\n"))


@app.command("delete")
@click.argument("app_id")
@with_store
def delete(store: Store, by: Principal, app_id: str) -> None:
    """Delete an app (the executions it started stay)."""
    try:
        app_service.delete(store, app_id, by=by, now=utcnow())
    except NotFoundError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"app {app_id} deleted", err=True)
