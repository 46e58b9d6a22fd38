"""`legato flow delete|disable|enable|export|import`: a flow's lifecycle on the local server's data (or
--database-url), through the same services as the API's bulk endpoints; or, with --server, through those endpoints
of a running Legato."""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

import click

from legato.cli.store_option import Local, Remote, Target, with_store
from legato.clock import utcnow
from legato.services.errors import NotFoundError

# The services (and the store under them) load in the local branches: a command with --server imports neither.

FLOW_REF = click.argument("flows", nargs=-1, required=True, metavar="NAMESPACE.ID...")


def _identities(refs: tuple[str, ...]) -> list[dict[str, str]]:
    return [{"namespace": namespace, "id": flow_id} for namespace, flow_id in _ids(refs)]


def _ids(refs: tuple[str, ...]) -> list[tuple[str, str]]:
    out = []
    for ref in refs:
        namespace, dot, flow_id = ref.rpartition(".")
        if not dot or not namespace or not flow_id:
            raise click.BadParameter(f"expected NAMESPACE.ID, got {ref!r}", param_hint="FLOWS")
        out.append((namespace, flow_id))
    return out


@click.command("delete")
@FLOW_REF
@with_store
def delete(target: Target, flows: tuple[str, ...]) -> None:
    """Delete flows (all or none; their revisions and executions are kept)."""
    if isinstance(target, Remote):
        count = target.call("DELETE", "/flows/delete/by-ids", json=_identities(flows)).json()["count"]
        click.echo(f"deleted {count} flow(s)")
        return
    from legato.services import flows as flow_service

    try:
        count = flow_service.delete_many(target.store, _ids(flows), by=target.by, now=utcnow())
    except NotFoundError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"deleted {count} flow(s)")


def _toggle(target: Local, flows: tuple[str, ...], disabled: bool) -> None:
    from legato.services import flows as flow_service

    try:
        changed = flow_service.set_disabled(target.store, _ids(flows), disabled, by=target.by, now=utcnow())
    except NotFoundError as exc:
        raise click.ClickException(str(exc)) from None
    for record in changed:
        click.echo(f"{record.namespace}.{record.id} revision {record.revision}: {'disabled' if disabled else 'enabled'}")
    if len(changed) < len(set(flows)):
        click.echo(f"{len(set(flows)) - len(changed)} flow(s) already {'disabled' if disabled else 'enabled'}")


@click.command("disable")
@FLOW_REF
@with_store
def disable(target: Target, flows: tuple[str, ...]) -> None:
    """Disable flows: a new revision whose source says `disabled: true` (no execution, no trigger fires)."""
    if isinstance(target, Remote):
        click.echo(f"{target.call('POST', '/flows/disable/by-ids', json=_identities(flows)).json()['count']} flow(s) disabled")
        return
    _toggle(target, flows, True)


@click.command("enable")
@FLOW_REF
@with_store
def enable(target: Target, flows: tuple[str, ...]) -> None:
    """Enable disabled flows again (a new revision with `disabled: false`)."""
    if isinstance(target, Remote):
        click.echo(f"{target.call('POST', '/flows/enable/by-ids', json=_identities(flows)).json()['count']} flow(s) enabled")
        return
    _toggle(target, flows, False)


@click.command("export")
@click.option("--namespace", default=None, help="Only this namespace and its children.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write a zip of `<namespace>.<id>.yml` files here (default: the YAML sources to stdout, "
                   "separated by `---`).")
@with_store
def export(target: Target, namespace: str | None, output: Path | None) -> None:
    """Export the sources of the live flows, as `flow import` and the API's `/flows/import` take them back."""
    if isinstance(target, Remote):
        zipped = target.call("GET", "/flows/export/by-query", params={"namespace": namespace} if namespace else {})
        with zipfile.ZipFile(io.BytesIO(zipped.content)) as archive:
            sources = {e.filename.removesuffix(".yml"): archive.read(e).decode() for e in archive.infolist()}
    else:
        from legato.services import flows as flow_service

        sources = {f"{r.namespace}.{r.id}": r.source for r in target.store.list_flows(tenant=target.by.tenant)
                   if flow_service.in_namespace(r.namespace, namespace)}
    if output is None:
        sys.stdout.write("---\n".join(s if s.endswith("\n") else s + "\n" for s in sources.values()))
        return
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, source in sources.items():
            archive.writestr(f"{name}.yml", source)
    click.echo(f"exported {len(sources)} flow(s) to {output}", err=True)


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_store
def import_(target: Target, files: tuple[Path, ...]) -> None:
    """Import flows from YAML files (several flows separated by `---`) or zips of them; the valid ones are saved
    (a new revision when the flow exists), the invalid ones listed, and the exit code is 1 if there are any."""
    if isinstance(target, Remote):
        refused = [f"{path}:{name}" for path in files
                   for name in target.call("POST", "/flows/import", files={"fileUpload": (path.name, path.read_bytes())}).json()]
        click.echo(f"imported the valid flows of {len(files)} file(s)")
        for name in refused:
            click.echo(f"invalid: {name} (see `legato flow validate`)", err=True)
        sys.exit(1 if refused else 0)
    sources: list[tuple[str, str]] = []
    for path in files:
        if path.suffix.lower() == ".zip":
            try:
                with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as archive:
                    sources += [(f"{path}:{e.filename}", archive.read(e).decode()) for e in archive.infolist()
                                if not e.is_dir() and e.filename.lower().endswith((".yml", ".yaml"))]
            except zipfile.BadZipFile as exc:
                raise click.ClickException(f"{path} is not a valid zip archive: {exc}") from None
        else:
            sources.append((str(path), path.read_text()))
    from legato.services import flows as flow_service

    saved, rejected = flow_service.import_flows(target.store, sources, by=target.by, now=utcnow())
    click.echo(f"imported {len(saved)} flow(s)")
    for name in rejected:
        click.echo(f"invalid: {name} (see `legato flow validate`)", err=True)
    sys.exit(1 if rejected else 0)


COMMANDS = [delete, disable, enable, export, import_]
