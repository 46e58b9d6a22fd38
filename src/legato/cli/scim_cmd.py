"""`legato scim ...`: SCIM provisioning integrations (one per identity provider) on the server's database. Creating
one prints the SCIM endpoint and the bearer token to give the provider (the token is shown this once)."""

from __future__ import annotations

import click

from legato.cli.user_cmd import with_database
from legato.clock import utcnow
from legato.identity.records import ScimIntegration
from legato.services import scim
from legato.services.principal import SYSTEM
from legato.store.ports import Store

SERVER_URL = click.option("--server-url", envvar="LEGATO_URL", default="http://localhost:8080", show_default=True,
                          help="The server's address as the identity provider reaches it (for the endpoint shown).")


def endpoint(server_url: str, integration: ScimIntegration) -> str:
    return f"{server_url.rstrip('/')}/api/v1/{integration.tenant}/integrations/{integration.id}/scim/v2"


@click.group("scim")
def scim_group() -> None:
    """Create, list, disable, enable and delete SCIM provisioning integrations."""


@scim_group.command("create")
@click.option("--description", default="", help="Which identity provider it is for.")
@SERVER_URL
@with_database
def create(store: Store, description: str, server_url: str) -> None:
    """Create an integration (with its own service account) and print its endpoint and bearer token."""
    created = scim.create_integration(store, description, by=SYSTEM, now=utcnow())
    click.echo(f"integration: {created.integration.id}")
    click.echo(f"endpoint:    {endpoint(server_url, created.integration)}")
    click.echo(f"token:       {created.token}")
    click.echo("(the token is shown this once: give it to the identity provider now)", err=True)


@scim_group.command("list")
@SERVER_URL
@with_database
def list_(store: Store, server_url: str) -> None:
    """Every integration with its state and endpoint."""
    for found in scim.list_integrations(store, by=SYSTEM):
        state = "enabled" if found.enabled else "disabled"
        click.echo(f"{found.id}  {state:8}  {endpoint(server_url, found)}  {found.description}".rstrip())


@scim_group.command("disable")
@click.argument("integration_id")
@with_database
def disable(store: Store, integration_id: str) -> None:
    """Refuse the integration's requests (401) until enabled again."""
    scim.update_integration(store, integration_id, enabled=False, by=SYSTEM, now=utcnow())
    click.echo(f"disabled {integration_id}")


@scim_group.command("enable")
@click.argument("integration_id")
@with_database
def enable(store: Store, integration_id: str) -> None:
    """Accept the integration's requests again."""
    scim.update_integration(store, integration_id, enabled=True, by=SYSTEM, now=utcnow())
    click.echo(f"enabled {integration_id}")


@scim_group.command("delete")
@click.argument("integration_id")
@with_database
def delete(store: Store, integration_id: str) -> None:
    """Delete the integration and its service account (provisioned users and groups stay)."""
    scim.delete_integration(store, integration_id, by=SYSTEM, now=utcnow())
    click.echo(f"deleted {integration_id}")
