"""What several benchmarks share: a throw-away PostgreSQL database, a backlog of executions queued before the
servers start (so a figure is the servers' pace alone, not that of the benchmark creating executions on the same
cores), and waiting for a server they started. Imported by the benchmark modules next to it (bench/ is on sys.path
when they run)."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import subprocess
import time
from collections.abc import Iterable, Iterator

import httpx
import psycopg
from psycopg import sql as pgsql

from legato.clock import utcnow
from legato.services import executions as execution_service
from legato.services import flows as flow_service
from legato.services.principal import SYSTEM
from legato.store.ports import Store

ADMIN_URL = os.environ.get("LEGATO_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def three_tasks(namespace: str) -> str:
    """A flow of three in-process tasks, each reading the previous one's output."""
    return f"""
id: three
namespace: {namespace}
tasks:
  - id: one
    type: io.kestra.plugin.core.debug.Return
    format: "{{{{ execution.id }}}}"
  - id: two
    type: io.kestra.plugin.core.debug.Return
    format: "{{{{ outputs.one.value }}}}"
  - id: three
    type: io.kestra.plugin.core.debug.Return
    format: "{{{{ outputs.two.value }}}}"
"""


@contextlib.contextmanager
def pg_database(prefix: str = "legato_bench", admin_url: str = ADMIN_URL) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database on the server of `admin_url`, dropped afterwards (even with
    connections still open to it)."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as conn:
        conn.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name)))
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pgsql.Identifier(name)))


def queue_backlog(store: Store, flow_yaml: str, executions: int) -> None:
    """Deploy the flow and create that many executions of it, none started yet."""
    record = flow_service.deploy(store, flow_yaml, now=utcnow(), by=SYSTEM)
    for _ in range(executions):
        execution_service.create_execution(store, record.namespace, record.id, {}, now=utcnow(), by=SYSTEM)


def listening_url(lines: Iterable[str], process: subprocess.Popen[str] | None = None) -> str:
    """The API URL a `legato server` prints when it listens (read from its output lines)."""
    for line in lines:
        found = re.search(r"API on (http://\S+?)[,\s]", line + " ") or re.search(r"^LISTENING (http://\S+)", line)
        if found:
            return found.group(1)
    exited = f" ({process.wait()})" if process is not None else ""
    raise RuntimeError(f"the server exited{exited} without saying where its API listens")


def wait_healthy(url: str, process: subprocess.Popen[str] | None = None, timeout: float = 60) -> None:
    """Return once `url`/health answers 200; fail if the process exits first or the time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        time.sleep(0.01)
    raise RuntimeError(f"{url} never became healthy")
