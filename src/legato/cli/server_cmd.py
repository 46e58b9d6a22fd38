"""`legato server ...`: run Legato's services."""

from __future__ import annotations

import asyncio
import signal
from datetime import timedelta
from pathlib import Path

import click

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
def local(data_dir: Path, flows_dir: Path | None, worker_slots: int, lease_seconds: float) -> None:
    """Everything in one process on SQLite under DATA_DIR: zero configuration."""
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
    click.echo(f"Legato running on {data_dir} (Ctrl-C to stop)")
    asyncio.run(_serve(Runtime(store, worker_slots=worker_slots, lease=timedelta(seconds=lease_seconds))))
    store.close()


async def _serve(runtime: Runtime) -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    await runtime.run(stopping)
