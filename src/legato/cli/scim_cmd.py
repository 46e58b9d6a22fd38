"""`legato scim ...`: SCIM provisioning integrations (one per identity provider) on the server's database. Creating
one prints the SCIM endpoint and the bearer token to give the provider (the token is shown this once)."""

from __future__ import annotations

import click

from legato.cli.store_option import Remote, Target
from legato.cli.user_cmd import with_database
from legato.clock import utcnow
from legato.identity.records import ScimIntegration

# The services and the store load in the local branches: a command with --server imports neither.

SERVER_URL = click.option("--server-url", envvar="LEGATO_URL", default="http://localhost:8080", show_default=True,
                          help="The server's address as the identity provider reaches it (for the endpoint shown).")


def endpoint(server_url: str, integration: ScimIntegration) -> str:
    return f"{server_url.rstrip('/')}/api/v1/{integration.tenant}/integrations/{integration.id}/scim/v2"


@click.group("scim")
def scim_group() -> None:
    """Create, list, disable, enable and delete SCIM provisioning integrations."""


REMOTE_NOTE = "With --server (and --token of an administrator) it acts through that server's API."


@scim_group.command("create", epilog=REMOTE_NOTE + " The endpoint shown is then the one the server gives.")
@click.option("--description", default="", help="Which identity provider it is for.")
@SERVER_URL
@with_database
def create(target: Target, description: str, server_url: str) -> None:
    """Create an integration (with its own service account) and print its endpoint and bearer token."""
    if isinstance(target, Remote):
        made = target.call("POST", "/integrations", json={"description": description}).json()
        integration_id, url, token = made["id"], made["endpoint"], made["token"]
    else:
        from legato.services import scim

        created = scim.create_integration(target.store, description, by=target.by, now=utcnow())
        integration_id, url, token = created.integration.id, endpoint(server_url, created.integration), created.token
    click.echo(f"integration: {integration_id}")
    click.echo(f"endpoint:    {url}")
    click.echo(f"token:       {token}")
    click.echo("(the token is shown this once: give it to the identity provider now)", err=True)


@scim_group.command("list", epilog=REMOTE_NOTE + " The endpoints shown are then the ones the server gives.")
@SERVER_URL
@with_database
def list_(target: Target, server_url: str) -> None:
    """Every integration with its state and endpoint."""
    if isinstance(target, Remote):
        rows = [(i["id"], i["enabled"], i["endpoint"], i["description"])
                for i in target.call("GET", "/integrations").json()]
    else:
        from legato.services import scim

        rows = [(i.id, i.enabled, endpoint(server_url, i), i.description)
                for i in scim.list_integrations(target.store, by=target.by)]
    for integration_id, enabled, url, description in rows:
        state = "enabled" if enabled else "disabled"
        click.echo(f"{integration_id}  {state:8}  {url}  {description}".rstrip())


@scim_group.command("disable", epilog=REMOTE_NOTE)
@click.argument("integration_id")
@with_database
def disable(target: Target, integration_id: str) -> None:
    """Refuse the integration's requests (401) until enabled again."""
    _set_enabled(target, integration_id, False)
    click.echo(f"disabled {integration_id}")


@scim_group.command("enable", epilog=REMOTE_NOTE)
@click.argument("integration_id")
@with_database
def enable(target: Target, integration_id: str) -> None:
    """Accept the integration's requests again."""
    _set_enabled(target, integration_id, True)
    click.echo(f"enabled {integration_id}")


def _set_enabled(target: Target, integration_id: str, enabled: bool) -> None:
    if isinstance(target, Remote):
        target.call("PUT", f"/integrations/{integration_id}", json={"enabled": enabled})
    else:
        from legato.services import scim

        scim.update_integration(target.store, integration_id, enabled=enabled, by=target.by, now=utcnow())


@scim_group.command("delete", epilog=REMOTE_NOTE)
@click.argument("integration_id")
@with_database
def delete(target: Target, integration_id: str) -> None:
    """Delete the integration and its service account (provisioned users and groups stay)."""
    if isinstance(target, Remote):
        target.call("DELETE", f"/integrations/{integration_id}")
    else:
        from legato.services import scim

        scim.delete_integration(target.store, integration_id, by=target.by, now=utcnow())
    click.echo(f"deleted {integration_id}")
