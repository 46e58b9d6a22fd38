"""The `legato` command. Each sub-command's module is imported when it is used, so a command that needs
neither the API nor the server (`legato test`, `legato flow validate`) starts in a fraction of the time."""

from __future__ import annotations

import importlib
import logging
import sys

import click

# name -> (module, attribute, summary); importing roles_cmd adds `standalone`, `executor`, ... to `server`. The
# summary is what `legato --help` lists, so that listing imports no command (tests check it opens each one's help).
COMMANDS = {
    "flow": ("legato.cli.flow_cmd", "flow", "Validate and run flows."),
    "server": ("legato.cli.roles_cmd", "server", "Run Legato's services."),
    "sys": ("legato.cli.sys_cmd", "sys_group", "Operate the configured database: migrations, server registry, retention, backups."),
    "execution": ("legato.cli.execution_cmd", "execution", "List, inspect, read the logs of, kill, resume, restart and replay executions."),
    "trigger": ("legato.cli.trigger_cmd", "trigger", "List, enable, disable, unlock and restart the triggers of "
                                                     "deployed flows; backfill schedules."),
    "plugins": ("legato.cli.plugins_cmd", "plugins_group", "Installed plugin families (core, and the packages "
                                                            "registered in the `legato.plugins` entry points)."),
    "test": ("legato.cli.test_cmd", "test", "Run the test suites found in PATHS (default: the current directory) "
                                            "against the flows and namespace files found there (Kestra's layout "
                                            "`<ns>/flows`, `<ns>/files`, `<ns>/tests`, or a flat folder), each test "
                                            "case as an in-process execution on a throw-away store."),
    "deploy": ("legato.cli.deploy_cmd", "deploy", "Deploy the flows, test suites, namespace files and apps under "
                                                  "PATHS, and the dashboards of `_global/dashboards/`."),
    "dashboard": ("legato.cli.dashboard_cmd", "dashboard", "Custom dashboards (Kestra's YAML): charts over "
                                                           "executions, flows, logs, metrics and triggers."),
    "ai": ("legato.cli.ai_cmd", "ai_command", "Write a flow from REQUEST, or change the one in --flow, with the "
                                              "model configured for Legato (ai_url, ai_model, ai_api_key, ai_provider)."),
    "secret": ("legato.cli.secret_cmd", "secret", "Namespace secrets: values encrypted at rest, inherited by child "
                                                  "namespaces, read with secret('KEY')."),
    "user": ("legato.cli.user_cmd", "user", "Create users and service accounts, set passwords, list, disable and "
                                            "enable them."),
    "tenant": ("legato.cli.tenant_cmd", "tenant", "Tenants: isolated sets of flows, executions, logs, KV entries, "
                                                  "files, secrets and bindings."),
    "token": ("legato.cli.user_cmd", "token", "Create, list and revoke API tokens (sent as `Authorization: Bearer "
                                              "<token>`)."),
    "scim": ("legato.cli.scim_cmd", "scim_group", "Create, list, disable, enable and delete SCIM provisioning "
                                                  "integrations."),
    "app": ("legato.cli.app_cmd", "app", "Apps (Kestra's io.kestra.plugin.ee.apps.Execution): forms over flows, "
                                         "served at /ui/main/apps/<id>."),
    "mcp": ("legato.cli.mcp_cmd", "mcp_command", "Serve an MCP server whose tools search, read, validate, save and "
                                                 "run flows and read executions, logs and outputs on SERVER, with the "
                                                 "permissions of TOKEN's account (over http: of the caller's, when its "
                                                 "requests carry an Authorization header), and each flow with a "
                                                 "McpToolTrigger as a tool of its own."),
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, attribute, _ = COMMANDS[cmd_name]
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands with their summaries, none imported (`legato --help` stays as fast as a bare start)."""
        width = formatter.width - 6 - max(len(name) for name in self.list_commands(ctx))
        rows = []
        for name in self.list_commands(ctx):
            if name in COMMANDS:
                summary = click.Command(name, help=COMMANDS[name][2]).get_short_help_str(width)
            else:
                summary = self.commands[name].get_short_help_str(width)
            rows.append((name, summary))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--log-level", default="WARNING", show_default=True, help="Level of Legato's own logs on stderr.")
@click.version_option(package_name="legato")
def cli(log_level: str) -> None:
    """Legato: declarative YAML workflows, Kestra-compatible."""
    logging.basicConfig(level=log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def main() -> None:
    cli()
