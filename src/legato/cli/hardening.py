"""What every server command does at start-up to keep secrets and the server out of scripts' reach: take
the secrets out of the environment (and of /proc/<pid>/environ and cmdline), warn about credentials given
on the command line, and say how script tasks are isolated (or that they are refused, or unisolated)."""

from __future__ import annotations

import os

import click

from legato import secrets_env
from legato.runners import isolation
from legato.runners.select import RunnerSettings


def secure_start(cli_basic_auth: str | None = None) -> None:
    """Call once settings are read: scrub secrets, then print the isolation facts (to stderr)."""
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
