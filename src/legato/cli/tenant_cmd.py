"""`legato tenant ...`: create, list, rename and delete tenants, on the server's own database as its administrator,
or with --server through the instance API of a running Legato (`/api/v1/tenants`, outside any tenant's prefix),
as the --token's account (an instance owner). A tenant's resources are reached under `/api/v1/<tenant>/...`."""

from __future__ import annotations

from pathlib import Path

import click

from legato.cli.store_option import Remote, Target, with_store
from legato.clock import utcnow
from legato.services.errors import ConflictError, NotFoundError

# The services (and the store under them) load in the local branches: a command with --server imports neither.


@click.group()
def tenant() -> None:
    """Tenants: isolated sets of flows, executions, logs, KV entries, files, secrets and bindings."""


@tenant.command("create")
@click.argument("tenant_id")
@click.option("--name", help="The name people read (default: the id).")
@with_store(tenanted=False)
def create(target: Target, tenant_id: str, name: str | None) -> None:
    """Create the tenant TENANT_ID (lower-case letters, digits, '-' and '_')."""
    if isinstance(target, Remote):
        created = target.call("POST", "/tenants", json={"id": tenant_id, "name": name}).json()["id"]
    else:
        from legato.services import tenants as service

        try:
            created = service.create_tenant(target.store, tenant_id, name, by=target.by, now=utcnow()).id
        except (ValueError, ConflictError) as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"tenant {created} created; its API is under /api/v1/{created}/", err=True)


@tenant.command("list")
@with_store(tenanted=False)
def list_(target: Target) -> None:
    """Every tenant (id, then name), `main` first."""
    if isinstance(target, Remote):
        rows = [(t["id"], t["name"]) for t in target.results("/tenants/search")]
        rows.sort(key=lambda row: (row[0] != "main", row[0]))
    else:
        from legato.services import tenants as service

        rows = [(t.id, t.display_name) for t in service.list_tenants(target.store, by=target.by)]
    for tenant_id, name in rows:
        click.echo(f"{tenant_id}\t{name}")


@tenant.command("rename")
@click.argument("tenant_id")
@click.argument("name")
@with_store(tenanted=False)
def rename(target: Target, tenant_id: str, name: str) -> None:
    """Give TENANT_ID the display name NAME (its id never changes)."""
    if isinstance(target, Remote):
        target.call("PUT", f"/tenants/{tenant_id}", json={"name": name})
    else:
        from legato.services import tenants as service

        try:
            service.rename_tenant(target.store, tenant_id, name, by=target.by, now=utcnow())
        except (ValueError, NotFoundError) as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"tenant {tenant_id} renamed", err=True)


@tenant.command("delete")
@click.argument("tenant_id")
@with_store(tenanted=False)
def delete(target: Target, tenant_id: str, data_dir: Path) -> None:
    """Delete TENANT_ID with everything it holds but its audit log (executions, logs, KV, secrets, bindings, its
    files); refused while it holds flows or running executions (and for `main`)."""
    if isinstance(target, Remote):
        target.call("DELETE", f"/tenants/{tenant_id}")
    else:
        from legato.server.compose import storage_for
        from legato.services import tenants as service

        try:
            service.delete_tenant(target.store, tenant_id, by=target.by, now=utcnow(),
                                  storage=storage_for(data_dir.resolve()))
        except (ConflictError, NotFoundError) as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"tenant {tenant_id} deleted", err=True)
