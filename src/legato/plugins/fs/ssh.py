"""io.kestra.plugin.fs.ssh.Command: run command lines on a remote host over SSH. The lines run as one script
(joined by newlines) in the login's shell; stdout and stderr become log lines as they arrive, and lines in
Kestra's `::{"outputs": …}::` protocol become `vars`. A non-zero exit status fails the task."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.fs.sshconn import SshLogin, connect, port_of
from legato.plugins.runnable import (
    Expression,
    RunnableTask,
    render_as,
    render_optional,
    render_optional_text,
    render_text,
)
from legato.plugins.scripts.protocol import Collector

ENV_ALLOW_OPEN_SSH_CONFIG = "LEGATO_SSH_ALLOW_OPEN_SSH_CONFIG"  # Kestra's `allow-open-ssh-config`


@TASKS.register
class Command(RunnableTask):
    """Run commands on a remote host over SSH, logging in with a password (authMethod PASSWORD, the default),
    a private key (PUBLIC_KEY) or the worker's OpenSSH configuration (OPEN_SSH, when the operator allows it
    with LEGATO_SSH_ALLOW_OPEN_SSH_CONFIG=true)."""

    TYPE: ClassVar[str] = "io.kestra.plugin.fs.ssh.Command"
    ALIASES: ClassVar[tuple[str, ...]] = ()
    REQUIRES: ClassVar[tuple[str, ...]] = ("paramiko",)
    EXTRA: ClassVar[str] = "ssh"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: command
type: io.kestra.plugin.fs.ssh.Command
host: server.example.com
port: "22"
authMethod: PASSWORD
username: deploy
password: "{{ secret('SSH_PASSWORD') }}"
commands:
  - uptime
  - echo '::{"outputs":{"disk":"'$(df -h / | tail -1 | tr -s ' ' | cut -d' ' -f5)'"}}::'
""",
        """\
id: with_key
type: io.kestra.plugin.fs.ssh.Command
host: server.example.com
authMethod: PUBLIC_KEY
username: root
privateKey: "{{ secret('SSH_RSA_PRIVATE_KEY') }}"
commands:
  - touch legato_was_here
""",
    )

    host: str = Field(description="The remote host.")
    port: str | int = Field(default="22", description="The SSH port.")
    username: str | None = Field(default=None, description="The user to log in as.")
    password: str | None = Field(default=None, description="The password (authMethod PASSWORD); use secret().")
    privateKey: str | None = Field(default=None, description="A private key in OpenSSH or PEM format (authMethod PUBLIC_KEY); use secret().")
    privateKeyPassphrase: str | None = Field(default=None, description="The passphrase of `privateKey`.")
    authMethod: Literal["PASSWORD", "PUBLIC_KEY", "OPEN_SSH"] | Expression = Field(
        default="PASSWORD", description="How to log in: PASSWORD, PUBLIC_KEY or OPEN_SSH (the worker's ~/.ssh/config, allowed by the operator).")
    commands: list[str] = Field(min_length=1, description="The command lines, rendered, run in one remote shell.")
    env: dict[str, str] | Expression | None = Field(
        default=None, description="Environment variables sent with the command (the server must accept them: sshd's AcceptEnv).")
    strictHostKeyChecking: str = Field(
        default="no", description="`no` accepts any host key; `yes` (or `ask`) only the hosts in the worker's known_hosts.")
    proxyCommand: str | None = Field(
        default=None, description="A local command whose standard input and output carry the SSH connection (OpenSSH's ProxyCommand; %h, %p and %r are replaced).")
    openSSHConfigPath: str | None = Field(default=None, description="The OpenSSH configuration file read by authMethod OPEN_SSH.")
    openSSHConfigDir: str = Field(default="~/.ssh/config", description="Deprecated: use openSSHConfigPath.")
    enableSshRsa1: bool | Expression = Field(default=False, description="Also allow the weak ssh-rsa (RSA/SHA-1) signature algorithm.")
    warningOnStdErr: bool | None = Field(default=None, description="Deprecated and ignored, as in Kestra.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        login = self._login(ctx)
        script = "\n".join(ctx.render_string(line) for line in self.commands)
        env = {str(k): str(v) for k, v in (render_optional(ctx, self.env, dict[str, Any], "env") or {}).items()}
        collector = Collector(ctx.logger)
        cancel = threading.Event()
        job = asyncio.create_task(asyncio.to_thread(_execute, login, script, env, collector, cancel), name="ssh-command")
        try:
            code = await asyncio.shield(job)
        except asyncio.CancelledError:
            cancel.set()
            await asyncio.gather(job, return_exceptions=True)
            raise
        if code != 0:
            raise TaskFailed(f"SSH command fails with exit status {code}", outputs={"exitCode": code, "vars": collector.vars})
        return {"vars": collector.vars, "exitCode": code}

    def _login(self, ctx: RunContext) -> SshLogin:
        method = render_text(ctx, self.authMethod).strip().upper()
        password = render_optional_text(ctx, self.password)
        key = render_optional_text(ctx, self.privateKey)
        host, port, user = render_text(ctx, self.host).strip(), port_of(ctx.render_string(self.port)), render_optional_text(ctx, self.username)
        if method == "PASSWORD" and not password:
            raise TaskFailed("Password is necessary for given SSH auth method: PASSWORD (set 'password', or authMethod PUBLIC_KEY with 'privateKey')")
        if method == "PUBLIC_KEY" and not key:
            raise TaskFailed("Private key is necessary for given SSH auth method: PUBLIC_KEY (set 'privateKey')")
        if method not in ("PASSWORD", "PUBLIC_KEY", "OPEN_SSH"):
            raise TaskFailed(f"property 'authMethod': {method!r} is not one of PASSWORD, PUBLIC_KEY, OPEN_SSH")
        if method == "OPEN_SSH":
            host, port, user, key = self._open_ssh(ctx, host, port, user, key)
        return SshLogin(
            host=host, port=port, username=user,
            password=password if method != "PUBLIC_KEY" else None,
            private_key=key if method != "PASSWORD" else None,
            passphrase=render_optional_text(ctx, self.privateKeyPassphrase),
            strict_host_key_checking=render_text(ctx, self.strictHostKeyChecking),
            enable_ssh_rsa1=bool(render_as(ctx, self.enableSshRsa1, bool, "enableSshRsa1")),
            proxy_command=render_optional_text(ctx, self.proxyCommand),
        )

    def _open_ssh(self, ctx: RunContext, host: str, port: int, user: str | None,
                  key: str | None) -> tuple[str, int, str | None, str | None]:
        """The host's settings in the worker's OpenSSH configuration (HostName, Port, User, IdentityFile)."""
        import paramiko

        if os.environ.get(ENV_ALLOW_OPEN_SSH_CONFIG, "").lower() != "true":
            raise TaskFailed("authMethod OPEN_SSH reads the worker's OpenSSH configuration: the operator must allow it "
                             f"with {ENV_ALLOW_OPEN_SSH_CONFIG}=true")
        path = Path(render_optional_text(ctx, self.openSSHConfigPath) or render_text(ctx, self.openSSHConfigDir)).expanduser()
        try:
            config = paramiko.SSHConfig.from_path(str(path)).lookup(host)
        except OSError as exc:
            raise TaskFailed(f"cannot read the OpenSSH configuration {path}: {exc.strerror or exc}") from None
        if key is None and config.get("identityfile"):
            key_path = Path(config["identityfile"][0]).expanduser()
            try:
                key = key_path.read_text()
            except OSError as exc:
                raise TaskFailed(f"cannot read the identity file {key_path}: {exc.strerror or exc}") from None
        return (config.get("hostname", host), port_of(config["port"]) if "port" in config else port,
                user or config.get("user"), key)


def _execute(login: SshLogin, script: str, env: dict[str, str], collector: Collector, cancel: threading.Event) -> int:
    """Run `script` remotely, feeding each output line to `collector`; the exit status (-1 if killed)."""
    client = connect(login)
    try:
        channel = client.get_transport().open_session()
        if env:
            channel.update_environment(env)
        channel.exec_command(script)
        channel.shutdown_write()
        pending = {False: b"", True: b""}
        while True:
            if cancel.is_set():
                channel.close()
                return -1
            got = False
            for is_stderr, ready, read in ((False, channel.recv_ready, channel.recv),
                                           (True, channel.recv_stderr_ready, channel.recv_stderr)):
                if ready():
                    got = True
                    pending[is_stderr] = _lines(pending[is_stderr] + read(65536), is_stderr, collector)
            if not got:
                # The end of the output is the channel's EOF, not the exit status: sshd may send the status while
                # the last lines are still on their way.
                if (channel.eof_received or channel.closed) and not channel.recv_ready() \
                        and not channel.recv_stderr_ready():
                    break
                cancel.wait(0.02)
        for is_stderr, rest in pending.items():
            if rest:
                collector(rest.decode("utf-8", "replace"), is_stderr)
        return int(channel.recv_exit_status())
    finally:
        client.close()


def _lines(data: bytes, is_stderr: bool, collector: Collector) -> bytes:
    *complete, rest = data.split(b"\n")
    for line in complete:
        collector(line.decode("utf-8", "replace").rstrip("\r"), is_stderr)
    return rest
