"""`legato app ...`: list, validate, apply (create or replace from YAML files), show and delete apps, on the local
server's database (or --database-url), or with --server through the API of a running Legato."""

from __future__ import annotations

from pathlib import Path

import click

from legato.cli.store_option import Remote, Target, with_store
from legato.clock import utcnow
from legato.services.errors import NotFoundError

# The services (and the store under them) load in the local branches: a command with --server imports neither.


@click.group()
def app() -> None:
    """Apps (Kestra's io.kestra.plugin.ee.apps.Execution): forms over flows, served at /ui/main/apps/<id>."""


@app.command("list")
@with_store
def list_(target: Target) -> None:
    """The apps: id, display name, namespace.flow, access, page."""
    if isinstance(target, Remote):
        found = [(a["id"], a["displayName"], a["namespace"], a["flowId"], a["access"]["type"], a["url"])
                 for a in target.results("/apps")]
    else:
        from legato.services import apps as app_service
        from legato.services.app_runtime import app_url

        found = [(r.id, r.display_name, r.namespace, r.flow_id, r.access, app_url(r.id))
                 for r, _ in app_service.search(target.store, by=target.by)]
    for app_id, name, namespace, flow_id, access, url in found:
        click.echo(f"{app_id}\t{name}\t{namespace}.{flow_id}\t{access}\t{url}")
    if not found:
        click.echo("no apps", err=True)


def _read(files: tuple[Path, ...]) -> dict[Path, tuple[str, str]]:
    """Each file's app id and YAML; every problem of every file ends the command."""
    from legato.apps import parse_app
    from legato.model.errors import FlowValidationError

    sources, problems = {}, []
    for path in files:
        text = path.read_text(encoding="utf-8")
        try:
            sources[path] = (parse_app(text, name=str(path)).id, text)
        except FlowValidationError as exc:
            problems.append(str(exc))
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
def apply(target: Target, files: tuple[Path, ...]) -> None:
    """Create each app of FILES, or replace the one with its id; all files are checked before any is saved."""
    for path, (app_id, text) in _read(files).items():
        if isinstance(target, Remote):
            yaml = {"content": text, "headers": {"Content-Type": "application/x-yaml"}}
            created = target.client.get(f"/apps/{app_id}").status_code == 404
            if created:
                target.call("POST", "/apps", **yaml)
            else:
                target.call("PUT", f"/apps/{app_id}", **yaml)
        else:
            from legato.services import apps as app_service

            created = app_service.apply(target.store, text, by=target.by, now=utcnow()).created
        click.echo(f"app {app_id} {'created' if created else 'updated'} ({path})", err=True)


@app.command("show")
@click.argument("app_id")
@with_store
def show(target: Target, app_id: str) -> None:
    """Print the YAML of an app."""
    if isinstance(target, Remote):
        source: str = target.call("GET", f"/apps/{app_id}").json()["sourceCode"]
    else:
        from legato.services import apps as app_service

        try:
            source = app_service.get(target.store, app_id, by=target.by)[0].source
        except NotFoundError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(source, nl=not source.endswith("\n"))


@app.command("delete")
@click.argument("app_id")
@with_store
def delete(target: Target, app_id: str) -> None:
    """Delete an app (the executions it started stay)."""
    if isinstance(target, Remote):
        target.call("DELETE", f"/apps/{app_id}")
    else:
        from legato.services import apps as app_service

        try:
            app_service.delete(target.store, app_id, by=target.by, now=utcnow())
        except NotFoundError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"app {app_id} deleted", err=True)
