"""A PostgreSQL server of the test's own (initdb in a temp dir, a free port), so that a test can stop and start
it without disturbing anything else using the machine's PostgreSQL on 5432."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg

from tests.services import unavailable


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or ([shutil.which(name)] if shutil.which(name) else [])
    if not found or found[-1] is None:
        unavailable("PostgreSQL server binaries", f"{name} not found under /usr/lib/postgresql/*/bin")
    return str(found[-1])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivatePostgres:
    """One throw-away PostgreSQL cluster: `url` (database `legato`), `stop(mode)`, `start()`."""

    def __init__(self, networks: tuple[str, ...] = (), addresses: tuple[str, ...] = ()) -> None:
        """`addresses` to listen on besides 127.0.0.1, `networks` (CIDR) allowed to connect besides loopback."""
        self.root = Path(tempfile.mkdtemp(prefix="legato-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/legato"
        # PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` system user.
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as:
            shutil.chown(self.root, "postgres")
        self.root.chmod(0o755)
        self._run(_bin("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
        self.listen = ",".join(("127.0.0.1", *addresses))
        if networks:
            with (self.data / "pg_hba.conf").open("a") as hba:
                hba.writelines(f"host all all {network} trust\n" for network in networks)
        self.start()
        with psycopg.connect(self.url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE legato")

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as, *args], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.root} -c listen_addresses={self.listen} -c fsync=off "
                   "-c max_connections=200")
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"), "-o", options,
                  "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: `fast` (clients disconnected cleanly) or `immediate` (as a crash)."""
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                psycopg.connect(self.url, connect_timeout=1).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already down
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


def private_postgres(networks: tuple[str, ...] = (), addresses: tuple[str, ...] = ()) -> Iterator[PrivatePostgres]:
    """A fixture body: `yield from private_postgres()`."""
    server = PrivatePostgres(networks, addresses)
    try:
        yield server
    finally:
        server.destroy()
