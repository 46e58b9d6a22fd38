"""The `legato` command."""

from __future__ import annotations

import logging
import sys

import click

from legato.cli import execution_cmd, flow_cmd, roles_cmd, server_cmd, sys_cmd, trigger_cmd


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--log-level", default="WARNING", show_default=True, help="Level of Legato's own logs on stderr.")
@click.version_option(package_name="legato")
def cli(log_level: str) -> None:
    """Legato: declarative YAML workflows, Kestra-compatible."""
    logging.basicConfig(level=log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


cli.add_command(flow_cmd.flow)
cli.add_command(server_cmd.server)
cli.add_command(sys_cmd.sys_group)
cli.add_command(execution_cmd.execution)
cli.add_command(trigger_cmd.trigger)

# Importing roles_cmd adds `standalone`, `executor`, `worker`, `scheduler` and `webserver` to `server`.
_ROLES = roles_cmd.ALL_ROLES


def main() -> None:
    cli()
