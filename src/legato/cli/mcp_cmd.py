"""`legato mcp`: serve Legato to AI assistants over the Model Context Protocol."""

from __future__ import annotations

from importlib.util import find_spec

import click

from legato.remote import api_client


@click.command("mcp")
@click.option("--server", default="http://127.0.0.1:8080", show_default=True, envvar="LEGATO_SERVER",
              help="The Legato server's URL (env LEGATO_SERVER).")
@click.option("--token", default=None, envvar="LEGATO_TOKEN",
              help="API token the tools act with (`user:password` for basic auth; env LEGATO_TOKEN); over http, "
                   "a request's own Authorization header is used instead when it has one.")
@click.option("--tenant", default="main", show_default=True, help="Tenant of --server.")
@click.option("--transport", type=click.Choice(["stdio", "http"]), default="stdio", show_default=True,
              help="stdio: the assistant starts `legato mcp` itself; http: streamable HTTP on --host/--port at /mcp.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address of the http transport (loopback only).")
@click.option("--mcp-server", "name", default="default", show_default=True,
              help="Offer the flows whose McpToolTrigger names this mcpServer as tools.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(1, 65535), help="Port of the http transport.")
def mcp_command(server: str, token: str | None, tenant: str, transport: str, host: str, name: str,
                port: int) -> None:
    """Serve an MCP server whose tools search, read, validate, save and run flows and read executions, logs and
    outputs on SERVER, with the permissions of TOKEN's account (over http: of the caller's, when its requests carry
    an Authorization header), and each flow with a McpToolTrigger as a tool of
    its own. For an assistant's configuration:
    {"command": "legato", "args": ["mcp"], "env": {"LEGATO_SERVER": "...", "LEGATO_TOKEN": "..."}}."""
    if find_spec("mcp") is None:
        raise click.UsageError("legato mcp needs the MCP SDK: pip install 'legato[ai]'")
    from legato.api.server import is_loopback  # the API server's modules: not for `legato mcp --help`

    if transport == "http" and not is_loopback(host):
        raise click.UsageError(f"--host {host}: the http transport acts with --token for anyone who reaches it "
                               "without credentials of their own, so it listens on loopback only")
    from legato.cli import mcp_server

    with api_client(server, token, tenant=tenant) as client:
        mcp_server.build(client, host=host, port=port, name=name).run("stdio" if transport == "stdio" else "streamable-http")
