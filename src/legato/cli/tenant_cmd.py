"""`legato tenant ...`: create, list, rename and delete tenants (as the instance owner: the command runs on the
server's own database, as its administrator). A tenant's resources are reached under `/api/v1/<tenant>/...`."""

from __future__ import annotations

from pathlib import Path

import click

from legato.cli.store_option import with_store
from legato.clock import utcnow
from legato.services import tenants as service
from legato.services.errors import ConflictError, NotFoundError
from legato.services.principal import SYSTEM
from legato.store.ports import Store


@click.group()
def tenant() -> None:
    """Tenants: isolated sets of flows, executions, logs, KV entries, files, secrets and bindings."""


@tenant.command("create")
@click.argument("tenant_id")
@click.option("--name", help="The name people read (default: the id).")
@with_store
def create(store: Store, tenant_id: str, name: str | None) -> None:
    """Create the tenant TENANT_ID (lower-case letters, digits, '-' and '_')."""
    try:
        record = service.create_tenant(store, tenant_id, name, by=SYSTEM, now=utcnow())
    except (ValueError, ConflictError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"tenant {record.id} created; its API is under /api/v1/{record.id}/", err=True)


@tenant.command("list")
@with_store
def list_(store: Store) -> None:
    """Every tenant (id, then name), `main` first."""
    for record in service.list_tenants(store, by=SYSTEM):
        click.echo(f"{record.id}\t{record.display_name}")


@tenant.command("rename")
@click.argument("tenant_id")
@click.argument("name")
@with_store
def rename(store: Store, tenant_id: str, name: str) -> None:
    """Give TENANT_ID the display name NAME (its id never changes)."""
    try:
        service.rename_tenant(store, tenant_id, name, by=SYSTEM, now=utcnow())
    except (ValueError, NotFoundError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"tenant {tenant_id} renamed", err=True)


@tenant.command("delete")
@click.argument("tenant_id")
@with_store
def delete(store: Store, tenant_id: str, data_dir: Path) -> None:
    """Delete TENANT_ID with everything it holds but its audit log (executions, logs, KV, secrets, bindings, its
    files); refused while it holds flows or running executions (and for `main`)."""
    from legato.server.compose import storage_for

    try:
        service.delete_tenant(store, tenant_id, by=SYSTEM, now=utcnow(), storage=storage_for(data_dir.resolve()))
    except (ConflictError, NotFoundError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"tenant {tenant_id} deleted", err=True)
