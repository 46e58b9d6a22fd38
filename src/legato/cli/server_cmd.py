"""`legato server ...`: run Legato's services."""

from __future__ import annotations

import asyncio
import signal
import socket
from datetime import timedelta
from pathlib import Path

import click
from fastapi import FastAPI

from legato.api import create_app
from legato.api import server as http
from legato.api.middleware import parse_credentials
from legato.cli import hardening
from legato.clock import utcnow
from legato.model.errors import FlowValidationError
from legato.runtime import actions
from legato.runtime.runtime import Runtime
from legato.store import open_store


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
    """Everything in one process on SQLite under DATA_DIR: zero configuration."""
    credentials = _credentials(basic_auth)
    hardening.secure_start(basic_auth if hardening.from_command_line("basic_auth") else None)
    if credentials is None and not http.is_loopback(host):
        raise click.UsageError(f"refusing to listen on {host} without authentication: set --basic-auth or LEGATO_BASIC_AUTH")
    try:
        sock = http.bind(host, port)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    data_dir.mkdir(parents=True, exist_ok=True)
    store = open_store(f"sqlite:///{data_dir.resolve() / 'legato.db'}")
    store.migrate()
    if flows_dir is not None:
        for path in sorted(flows_dir.rglob("*.y*ml")):
            try:
                record = actions.deploy(store, path.read_text(), now=utcnow(), name=str(path))
                click.echo(f"deployed {record.namespace}.{record.id} (revision {record.revision})")
            except FlowValidationError as exc:
                click.echo(str(exc), err=True)
    app = create_app(store, data_dir=data_dir.resolve(), basic_auth=credentials)
    bound_host, bound_port = sock.getsockname()[:2]
    click.echo(f"Legato running on {data_dir}, API on http://{bound_host}:{bound_port} (Ctrl-C to stop)")
    asyncio.run(_serve(Runtime(store, worker_slots=worker_slots, lease=timedelta(seconds=lease_seconds),
                                 data_dir=data_dir.resolve(), run_scheduler=True, run_sources=True), app, sock))
    store.close()


def _credentials(text: str | None) -> tuple[str, str] | None:
    if not text:
        return None
    try:
        return parse_credentials(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--basic-auth") from None


async def _serve(runtime: Runtime, app: FastAPI, sock: socket.socket) -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    await http.serve(app, runtime, stopping, sock)
