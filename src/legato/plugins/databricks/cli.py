"""Kestra's `io.kestra.plugin.databricks.cli.DatabricksCLI`: command lines (the `databricks` CLI) run as a
script task, with the workspace's host and credentials in DATABRICKS_HOST, DATABRICKS_TOKEN,
DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET. A container runner uses ghcr.io/databricks/cli:latest by
default; the process and sandbox runners need the CLI on the worker's PATH."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import ClassVar

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext
from legato.plugins.runnable import Expression, render_optional_text
from legato.plugins.scripts.base import CommandLines, ScriptBase, Tooling
from legato.plugins.scripts.templates import RunTemplates
from legato.runners.base import Runner


@TASKS.register
class DatabricksCLI(CommandLines):
    """Run Databricks CLI commands with the workspace's host and credentials in the environment."""

    TYPE: ClassVar[str] = "databricks.cli.DatabricksCLI"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.databricks.cli.DatabricksCLI",)
    DEFAULT_IMAGE: ClassVar[str] = "ghcr.io/databricks/cli:latest"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: run_job\ntype: io.kestra.plugin.databricks.cli.DatabricksCLI\n"
        "databricksHost: \"{{ secret('DATABRICKS_HOST') }}\"\ndatabricksToken: \"{{ secret('DATABRICKS_TOKEN') }}\"\n"
        "commands:\n  - databricks jobs run-now 1234\n",
    )

    databricksHost: str | None = Field(default=None, description="Workspace URL, exported as DATABRICKS_HOST.")
    databricksToken: str | None = Field(default=None, description="Personal access token, exported as DATABRICKS_TOKEN.")
    clientId: str | None = Field(default=None, description="Service principal client id, exported as DATABRICKS_CLIENT_ID.")
    clientSecret: str | None = Field(default=None, description="Service principal secret, exported as DATABRICKS_CLIENT_SECRET.")

    async def tooling(self, ctx: RunContext, runner: Runner, workdir: Path) -> Tooling:
        env = {name: value for name, raw in (("DATABRICKS_HOST", self.databricksHost), ("DATABRICKS_TOKEN", self.databricksToken),
                                             ("DATABRICKS_CLIENT_ID", self.clientId), ("DATABRICKS_CLIENT_SECRET", self.clientSecret))
               if (value := render_optional_text(ctx, raw))}
        return Tooling(env=env)


@TASKS.register
class DatabricksSQLCLI(ScriptBase):
    """Run SQL statements on a Databricks SQL warehouse with `dbsqlcli` (the token in DATABRICKS_TOKEN). A
    container runner uses ghcr.io/kestra-io/databricks-sql-cli by default; the process and sandbox runners need
    dbsqlcli (pip package databricks-sql-cli) on the worker's PATH."""

    TYPE: ClassVar[str] = "databricks.cli.DatabricksSQLCLI"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.databricks.cli.DatabricksSQLCLI",)
    DEFAULT_IMAGE: ClassVar[str] = "ghcr.io/kestra-io/databricks-sql-cli"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: sql\ntype: io.kestra.plugin.databricks.cli.DatabricksSQLCLI\nhost: \"{{ secret('DATABRICKS_HOST') }}\"\n"
        "token: \"{{ secret('DATABRICKS_TOKEN') }}\"\nhttpPath: /sql/1.0/warehouses/abc123\ncommands:\n  - SELECT 1\n",
    )

    host: str = Field(description="Workspace host (--hostname).")
    token: str = Field(description="Personal access token (exported as DATABRICKS_TOKEN).")
    httpPath: str = Field(description="The SQL warehouse's HTTP path (--http-path).")
    commands: list[str] | Expression = Field(min_length=1, description="SQL statements, each given to dbsqlcli with -e.")
    options: dict[str, str] | None = Field(default=None, description="More dbsqlcli flags, e.g. {\"--table-format\": \"csv\"}.")

    async def tooling(self, ctx: RunContext, runner: Runner, workdir: Path) -> Tooling:
        return Tooling(env={"DATABRICKS_TOKEN": ctx.render_string(self.token)})

    def main_lines(self, ctx: RunContext, templates: RunTemplates, workdir: Path) -> tuple[list[str], set[str]]:
        argv = ["dbsqlcli", "--hostname", ctx.render_string(self.host)]
        line = shlex.join(argv) + " --access-token \"$DATABRICKS_TOKEN\" --http-path " + shlex.quote(ctx.render_string(self.httpPath))
        for statement in templates.commands(self.commands, "commands"):
            line += " -e " + shlex.quote(statement)
        for flag, value in (self.options or {}).items():
            line += " " + shlex.quote(ctx.render_string(flag))
            rendered = ctx.render_string(value) if value is not None else ""
            if rendered.strip():
                line += " " + shlex.quote(rendered)
        return [line], set()
