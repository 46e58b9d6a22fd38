"""What every server command does at start-up to keep secrets and the server out of scripts' reach: take
the secrets out of the environment (and of /proc/<pid>/environ and cmdline), warn about credentials given
on the command line, and say how script tasks are isolated (or that they are refused, or unisolated)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from legato import sealing, secrets_env
from legato.runners import isolation
from legato.runners.select import RunnerSettings


def secure_start(data_dir: Path, cli_basic_auth: str | None = None, *, encryption_key: str | None = None) -> None:
    """Call once settings are read: load the encryption key (legato.sealing: the configured `encryption_key`,
    else LEGATO_ENCRYPTION_KEY, else the data dir's key file), scrub secrets, then print the isolation facts
    (to stderr)."""
    try:
        key_file = sealing.configure(data_dir.resolve(), create=True, key=encryption_key)
    except (OSError, sealing.SealingError) as exc:
        raise click.ClickException(f"cannot load the encryption key: {exc}") from None
    where = key_file or ("the configured encryption_key" if encryption_key else sealing.ENV)
    click.echo(f"Secret values are encrypted with the key in {where}; every process of this "
               "installation needs the same key", err=True)
    if cli_basic_auth:
        click.echo("WARNING: --basic-auth on the command line is visible to other users of this host (ps) until "
                   "the server starts: set LEGATO_BASIC_AUTH or basic_auth in a configuration file "
                   "(LEGATO_CONFIG, mode 0600) instead", err=True)
    secrets_env.scrub([cli_basic_auth] if cli_basic_auth else [])
    settings = RunnerSettings.from_env(environ=os.environ)
    for line in isolation.describe(settings.policy, settings.unsafe):
        click.echo(line, err=True)


def from_command_line(parameter: str) -> bool:
    """Whether option `parameter` of the running command was given on its command line."""
    context = click.get_current_context(silent=True)
    if context is None:
        return False
    return context.get_parameter_source(parameter) == click.core.ParameterSource.COMMANDLINE
