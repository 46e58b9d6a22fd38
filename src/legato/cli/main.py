"""The `legato` command. Each sub-command's module is imported when it is used, so a command that needs
neither the API nor the server (`legato test`, `legato flow validate`) starts in a fraction of the time."""

from __future__ import annotations

import importlib
import logging
import sys

import click

# name -> (module, attribute); importing roles_cmd adds `standalone`, `executor`, ... to `server`.
COMMANDS = {
    "flow": ("legato.cli.flow_cmd", "flow"),
    "server": ("legato.cli.roles_cmd", "server"),
    "sys": ("legato.cli.sys_cmd", "sys_group"),
    "execution": ("legato.cli.execution_cmd", "execution"),
    "trigger": ("legato.cli.trigger_cmd", "trigger"),
    "plugins": ("legato.cli.plugins_cmd", "plugins_group"),
    "test": ("legato.cli.test_cmd", "test"),
    "deploy": ("legato.cli.deploy_cmd", "deploy"),
    "dashboard": ("legato.cli.dashboard_cmd", "dashboard"),
    "app": ("legato.cli.app_cmd", "app"),
    "ai": ("legato.cli.ai_cmd", "ai_command"),
    "secret": ("legato.cli.secret_cmd", "secret"),
    "user": ("legato.cli.user_cmd", "user"),
    "token": ("legato.cli.user_cmd", "token"),
    "scim": ("legato.cli.scim_cmd", "scim_group"),
    "mcp": ("legato.cli.mcp_cmd", "mcp_command"),
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, attribute = COMMANDS[cmd_name]
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return self.commands.get(cmd_name)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--log-level", default="WARNING", show_default=True, help="Level of Legato's own logs on stderr.")
@click.version_option(package_name="legato")
def cli(log_level: str) -> None:
    """Legato: declarative YAML workflows, Kestra-compatible."""
    logging.basicConfig(level=log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def main() -> None:
    cli()
