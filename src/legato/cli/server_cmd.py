"""`legato server ...`: run Legato's services."""

from __future__ import annotations

import asyncio
import errno
import signal
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from legato import config
from legato.api import server as http
from legato.api.middleware import parse_credentials
from legato.cli import example_flows, hardening
from legato.clock import utcnow
from legato.server import compose
from legato.services import copilot
from legato.store import open_store
from legato.telemetry import logs, tracing


@click.group()
def server() -> None:
    """Run Legato's services."""


@server.command("local")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=Path(".legato"),
              show_default=True, help="Where the SQLite database and files live.")
@click.option("--flows", "flows_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Deploy every flow of this directory at start.")
@click.option("--worker-slots", default=16, show_default=True, help="Tasks a worker runs at once.")
@click.option("--lease-seconds", default=30.0, show_default=True,
              help="How long a job stays with a worker that stopped heartbeating before it is resubmitted.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address the API listens on; anything but loopback requires --basic-auth.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port of the API.")
@click.option("--basic-auth", envvar="LEGATO_BASIC_AUTH", metavar="USER:PASSWORD",
              help="Require these credentials on every API route but /health (env LEGATO_BASIC_AUTH).")
def local(data_dir: Path, flows_dir: Path | None, worker_slots: int, lease_seconds: float, host: str, port: int,
          basic_auth: str | None) -> None:
    """Everything in one process on SQLite under DATA_DIR: zero configuration. Sign-in settings (`auth:`, e.g.
    OIDC or LDAP) are read from $LEGATO_CONFIG and LEGATO_AUTH__* like the other server commands."""
    settings = settings_from(None, data_dir=data_dir)
    credentials = parse_basic_auth(basic_auth, "--basic-auth")
    hardening.secure_start(data_dir, basic_auth if hardening.from_command_line("basic_auth") else None)
    data_dir.mkdir(parents=True, exist_ok=True)
    store = open_store(config.sqlite_url(data_dir))
    store.migrate()
    if credentials is None and not http.is_loopback(host) and store.count_accounts("USER") == 0:
        raise click.UsageError(f"refusing to listen on {host} without authentication: create a user "
                               "(legato user create) or set --basic-auth or LEGATO_BASIC_AUTH")
    try:
        sock = http.bind(host, port)
    except OSError as exc:
        hint = " (another program has it: pick another port with --port, e.g. `make run PORT=9090`)"
        taken = exc.errno == errno.EADDRINUSE
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}{hint if taken else ''}") from None
    if flows_dir is not None:
        example_flows.deploy_changed(store, flows_dir, now=utcnow(), say=click.echo,
                                     warn=lambda text: click.echo(text, err=True))
    process = compose.local(store, data_dir.resolve(), sock, worker_slots=worker_slots,
                            lease=timedelta(seconds=lease_seconds), credentials=credentials,
                            auth=compose.auth_config(settings), ai_model=copilot.configured(settings))
    bound_host, bound_port = sock.getsockname()[:2]
    click.echo(f"Legato running on {data_dir}, API on http://{bound_host}:{bound_port} (Ctrl-C to stop)")
    click.echo(f"Open http://{bound_host}:{bound_port}/ in a browser.")
    asyncio.run(_serve(process))
    store.close()


def settings_from(config_file: Path | None, **overrides: Any) -> config.Settings:
    """The settings, or a usage error that says which setting is wrong and where it came from."""
    try:
        settings = config.load(config_file, **overrides)
    except config.ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    observe(settings)
    return settings


def observe(settings: config.Settings) -> None:
    """Write the process's logs and traces as the settings say (JSON lines, an OTLP collector)."""
    logs.configure(settings.logging.format, settings.logging.level)
    telemetry = settings.telemetry
    if tracing.wanted(telemetry.otlp_endpoint):
        try:
            tracing.configure(telemetry.otlp_endpoint, telemetry.service_name)
        except tracing.TracingUnavailable as exc:
            raise click.UsageError(f"telemetry.otlp_endpoint: {exc}") from None


def parse_basic_auth(text: str | None, source: str) -> tuple[str, str] | None:
    """USER:PASSWORD as a pair (None when not set); a usage error naming `source` (the option or setting it came
    from, or env LEGATO_BASIC_AUTH) when it is malformed."""
    if not text:
        return None
    try:
        return parse_credentials(text)
    except ValueError as exc:
        raise click.UsageError(f"{source} (env LEGATO_BASIC_AUTH): {exc}") from None


async def _serve(process: compose.Process) -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    await process.run(stopping)
