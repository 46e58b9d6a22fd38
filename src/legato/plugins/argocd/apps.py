"""io.kestra.plugin.argocd.apps.Sync and Status: each runs one `argocd app ...` command as a script task, as Kestra
does, then reads the Application it prints (`--output json`) into `syncStatus`, `healthStatus`, `resources`, ...

The connection flags are Kestra's: `--server` (the URL without its scheme), `--auth-token $ARGOCD_TOKEN` (the token
travels in the environment, never on the command line), `--insecure`, `--plaintext`, `--grpc-web`, and
`--server-crt` for a PEM certificate given in `serverCert`. In a container (the docker or kubernetes runner) the
command is downloaded first as Kestra does (image `curlimages/curl` by default, `argoCDVersion` or the latest
release); under the process and sandbox runners `argocd` comes from the worker's PATH."""

from __future__ import annotations

import json
import shlex
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext
from legato.plugins.runnable import Expression, render_as, render_optional_text, render_text, task_timeout
from legato.plugins.scripts.base import ScriptBase, Tooling
from legato.plugins.scripts.execution import CONTAINERS
from legato.plugins.scripts.protocol import Collector
from legato.plugins.scripts.templates import RunTemplates
from legato.runners.base import Runner

CERT_FILE = "argocd-server.crt"  # written in the working directory from ARGOCD_SERVER_CERT


@dataclass
class StdoutCollector(Collector):
    """Keeps stdout (the command's JSON answer) instead of logging it; stderr is logged at WARN as usual."""

    stdout: list[str] = field(default_factory=list)

    def __call__(self, line: str, is_stderr: bool) -> None:
        if is_stderr:
            super().__call__(line, is_stderr)
        else:
            self.stdout_lines += 1
            self.stdout.append(line)


class ArgoCDTask(ScriptBase):
    """What Sync and Status share: the server, its token and TLS options, the Application."""

    DEFAULT_IMAGE: ClassVar[str] = "curlimages/curl:latest"
    SUBCOMMAND: ClassVar[str] = ""

    server: str = Field(description="The Argo CD API server's URL (`https://argocd.example.com`); the scheme is dropped, as the CLI wants a host.")
    token: str = Field(description="The API token, passed to the CLI in ARGOCD_TOKEN (use a secret).")
    application: str = Field(description="The Argo CD Application to act on.")
    insecure: bool | Expression = Field(default=False, description="Skip the verification of the server's certificate (`--insecure`).")
    serverCert: str | None = Field(default=None, description="PEM certificate of the server (a self-signed or private CA), written to a file passed as `--server-crt`.")
    plaintext: bool | Expression = Field(default=False, description="Talk plain HTTP, without TLS (`--plaintext`).")
    grpcWeb: bool | Expression = Field(default=False, description="Use gRPC-web instead of gRPC (`--grpc-web`), for a proxy without HTTP/2.")
    argoCDVersion: str | None = Field(default=None, description="The CLI release downloaded in a container (`2.10.0`); the latest when unset.")
    env: dict[str, Any] | None = Field(default=None, description="More environment variables of the command (values rendered).")
    containerImage: str | None = Field(default=None, description="Image of the docker or kubernetes runner (default `curlimages/curl:latest`: the CLI is downloaded into it); ignored by the process and sandbox runners.")
    warningOnStdErr: bool = Field(default=False, description="End in WARNING when the CLI wrote to stderr (its lines are logged at WARN either way).")

    def collector(self, ctx: RunContext) -> Collector:
        return StdoutCollector(ctx.logger)

    async def tooling(self, ctx: RunContext, runner: Runner, workdir: Path) -> Tooling:
        env = {"ARGOCD_TOKEN": render_text(ctx, self.token)}
        cert = render_optional_text(ctx, self.serverCert)
        before = []
        if cert:
            env["ARGOCD_SERVER_CERT"] = cert
            before.append(f"printf '%s' \"$ARGOCD_SERVER_CERT\" > {CERT_FILE}")
        if runner.name in CONTAINERS:
            before = [*self._install_lines(ctx), *before]
        elif shutil.which("argocd") is None:
            ctx.logger.warn("argocd is not on the worker's PATH: install it, or run this task with a docker taskRunner")
        return Tooling(env=env, before=before)

    def _install_lines(self, ctx: RunContext) -> list[str]:
        version = render_optional_text(ctx, self.argoCDVersion)
        arch = "$(uname -m | sed 's/x86_64/amd64/;s/aarch64/arm64/')"
        base = "https://github.com/argoproj/argo-cd/releases"
        url = f"{base}/download/v{version}/argocd-linux-{arch}" if version else f"{base}/latest/download/argocd-linux-{arch}"
        return [f"curl -sSL -o /tmp/argocd {url}", "chmod +x /tmp/argocd", "export PATH=$PATH:/tmp"]

    def connection_args(self, ctx: RunContext) -> list[str]:
        """Kestra's flags: --server HOST --auth-token $ARGOCD_TOKEN and the TLS switches."""
        server = render_text(ctx, self.server).strip()
        for scheme in ("https://", "http://"):
            server = server.removeprefix(scheme)
        args = ["--server", shlex.quote(server.rstrip("/")), "--auth-token", '"$ARGOCD_TOKEN"']
        for flag, prop in (("--insecure", "insecure"), ("--plaintext", "plaintext"), ("--grpc-web", "grpcWeb")):
            if render_as(ctx, getattr(self, prop), bool, prop):
                args.append(flag)
        if self.serverCert is not None:
            args += ["--server-crt", CERT_FILE]
        return args

    def command_args(self, ctx: RunContext) -> list[str]:
        """The subcommand's own flags, after the connection's."""
        return []

    def main_lines(self, ctx: RunContext, templates: RunTemplates, workdir: Path) -> tuple[list[str], set[str]]:
        application = shlex.quote(render_text(ctx, self.application))
        line = " ".join(["argocd", "app", self.SUBCOMMAND, application, *self.connection_args(ctx),
                         *self.command_args(ctx), "--output", "json"])
        return [line], set()

    def extra_outputs(self, collector: Collector) -> dict[str, Any]:
        raw = "\n".join(collector.stdout).strip() if isinstance(collector, StdoutCollector) else ""
        app = _application(raw)
        status = _map(app.get("status"))
        return {"stdOutLineCount": collector.stdout_lines, "stdErrLineCount": collector.stderr_lines,
                "rawOutput": raw, "app": app or None, **self.parsed(status)}

    def parsed(self, status: dict[str, Any]) -> dict[str, Any]:
        sync, health = _map(status.get("sync")), _map(status.get("health"))
        return {"syncStatus": sync.get("status"), "healthStatus": health.get("status"),
                "resources": status.get("resources")}

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        outputs = await super().run(ctx)
        if outputs.get("app") is None and outputs.get("rawOutput"):
            ctx.logger.warn("Failed to parse the argocd output as JSON")
        ctx.logger.info(f"Argo CD application {render_text(ctx, self.application)}: sync {outputs.get('syncStatus')}, "
                        f"health {outputs.get('healthStatus')}")
        return outputs


def _map(value: Any) -> dict[str, Any]:
    """`value` when it is a JSON object, else an empty one (a field the CLI left out or null)."""
    return value if isinstance(value, dict) else {}


def _application(raw: str) -> dict[str, Any]:
    """The Application object the CLI printed (`app sync` may print progress lines before it)."""
    if not raw:
        return {}
    start = raw.find("{")
    try:
        value = json.loads(raw[start:]) if start >= 0 else None
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


@TASKS.register
class Sync(ArgoCDTask):
    """Sync an Application to its Git state (`argocd app sync`): optionally to one `revision`, with `prune`,
    `dryRun` or `force`; outputs the sync and health status, the revision synced and the resources."""

    TYPE: ClassVar[str] = "io.kestra.plugin.argocd.apps.Sync"
    SUBCOMMAND: ClassVar[str] = "sync"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: sync
type: io.kestra.plugin.argocd.apps.Sync
server: "{{ secret('ARGOCD_SERVER') }}"
token: "{{ secret('ARGOCD_TOKEN') }}"
application: my-application
revision: main
prune: true
""",
    )

    revision: str | None = Field(default=None, description="The Git commit, tag or branch to sync to; the tracked revision when unset.")
    prune: bool | Expression = Field(default=False, description="Delete the resources no longer in Git (`--prune`).")
    dryRun: bool | Expression = Field(default=False, description="Show what the sync would change without applying it (`--dry-run`).")
    force: bool | Expression = Field(default=False, description="Force the sync, which may recreate resources (`--force`).")

    def command_args(self, ctx: RunContext) -> list[str]:
        args = []
        revision = render_optional_text(ctx, self.revision)
        if revision:
            args += ["--revision", shlex.quote(revision)]
        for flag, prop in (("--prune", "prune"), ("--dry-run", "dryRun"), ("--force", "force")):
            if render_as(ctx, getattr(self, prop), bool, prop):
                args.append(flag)
        limit = task_timeout(ctx, self)
        if limit is not None:
            args += ["--timeout", str(int(limit.total_seconds()))]
        return args

    def parsed(self, status: dict[str, Any]) -> dict[str, Any]:
        return {**super().parsed(status), "revision": _map(status.get("sync")).get("revision")}


@TASKS.register
class Status(ArgoCDTask):
    """Read an Application's sync and health status, conditions and resources (`argocd app get`); `refresh` makes
    Argo CD compare with the cluster again first."""

    TYPE: ClassVar[str] = "io.kestra.plugin.argocd.apps.Status"
    SUBCOMMAND: ClassVar[str] = "get"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: status
type: io.kestra.plugin.argocd.apps.Status
server: "{{ secret('ARGOCD_SERVER') }}"
token: "{{ secret('ARGOCD_TOKEN') }}"
application: my-application
refresh: true
""",
    )

    refresh: bool | Expression = Field(default=False, description="Compare with the live cluster again before answering (`--refresh`), instead of Argo CD's cached state.")

    def command_args(self, ctx: RunContext) -> list[str]:
        return ["--refresh"] if render_as(ctx, self.refresh, bool, "refresh") else []

    def parsed(self, status: dict[str, Any]) -> dict[str, Any]:
        return {**super().parsed(status), "conditions": status.get("conditions")}

