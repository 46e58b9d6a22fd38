"""Kestra's `io.kestra.plugin.azure.cli.AzCLI`: `az` command lines, after an `az login` made from `username`,
`password`, `tenant` and `servicePrincipal` when a username is given (after `beforeCommands`, before `commands`). Container runners use `containerImage`
(default mcr.microsoft.com/azure-cli); the process runner needs the Azure CLI on the worker's PATH."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path
from typing import ClassVar

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext
from legato.plugins.runnable import Expression, render_bool
from legato.plugins.scripts.base import CommandLines, Tooling
from legato.plugins.scripts.templates import RunTemplates
from legato.runners.base import Runner

KESTRA = "io.kestra.plugin.azure"


@TASKS.register
class AzCLI(CommandLines):
    """Run Azure CLI command lines (`az account list-locations`, `az storage ...`), logged in first with the
    task's user or service principal."""

    TYPE: ClassVar[str] = "azure.cli.AzCLI"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{KESTRA}.cli.AzCLI",)
    DEFAULT_IMAGE: ClassVar[str] = "mcr.microsoft.com/azure-cli"
    EXAMPLES: ClassVar[tuple[str, ...]] = ("""\
id: az
type: io.kestra.plugin.azure.cli.AzCLI
tenant: "{{ secret('AZURE_TENANT_ID') }}"
username: "{{ secret('AZURE_SERVICE_PRINCIPAL_CLIENT_ID') }}"
password: "{{ secret('AZURE_SERVICE_PRINCIPAL_PASSWORD') }}"
servicePrincipal: true
commands:
  - az account list-locations --query "[].{Region:name}" -o table
""",)

    username: str | None = Field(default=None, description="Who logs in (a user, or a service principal's app/client id); no login when unset (rendered).")
    password: str | None = Field(default=None, description="The password or client secret (rendered).")
    tenant: str | None = Field(default=None, description="The tenant to log in to (rendered).")
    servicePrincipal: bool | Expression | None = Field(default=None, description="Log in as a service principal (`az login --service-principal`).")

    def login_line(self, ctx: RunContext) -> str | None:
        """The `az login` command line, or None without a username."""
        user = None if self.username is None else ctx.render_string(self.username).strip()
        if not user:
            return None
        argv = ["az", "login", "-u", user]
        if self.password is not None:
            argv += ["-p", ctx.render_string(self.password)]
        if self.tenant is not None and ctx.render_string(self.tenant).strip():
            argv += ["--tenant", ctx.render_string(self.tenant).strip()]
        if self.servicePrincipal is not None and render_bool(ctx, self.servicePrincipal, "servicePrincipal"):
            argv.append("--service-principal")
        return shlex.join(argv) + " > /dev/null"  # its account list would print the subscription details

    async def tooling(self, ctx: RunContext, runner: Runner, workdir: Path) -> Tooling:
        if runner.name != "docker" and shutil.which("az") is None:
            ctx.logger.warn("az is not on the worker's PATH: install the Azure CLI, or run this task with a docker "
                            f"taskRunner ({self.DEFAULT_IMAGE})")
        return Tooling()

    def main_lines(self, ctx: RunContext, templates: RunTemplates, workdir: Path) -> tuple[list[str], set[str]]:
        # the login comes after beforeCommands (which may install or locate az), right before the commands
        lines, generated = super().main_lines(ctx, templates, workdir)
        login = self.login_line(ctx)
        return ([login, *lines] if login else lines), generated
