"""Real Legato server processes on a throw-away PostgreSQL database, for the fault tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import psycopg

from legato.model.state import State
from legato.services import executions as execution_service
from legato.services.principal import SYSTEM
from legato.store.sql import SqlStore
from tests.services import pg_database

from .ledger_plugin import LEDGER_DDL

REPO = Path(__file__).resolve().parents[2]
LEGATO = str(Path(sys.executable).with_name("legato"))


def fresh_database() -> Iterator[str]:
    """A new database (dropped afterwards) with a ledger table; its URL. Skips when PostgreSQL is away."""
    for url in pg_database("legato_fault", migrate=False):
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(LEDGER_DDL)
        yield url


class Cluster:
    """Starts `legato server <role>` processes against one database and stops them all at the end."""

    def __init__(self, url: str, data_dir: Path, **settings: str):
        self.url = url
        self.data_dir = data_dir
        self.settings = {"LEASE_SECONDS": "2", "HEARTBEAT_SECONDS": "0.5", "DEAD_AFTER_SECONDS": "2",
                         "POLL_SECONDS": "0.5", "DRAIN_SECONDS": "5", **settings}
        self.processes: list[subprocess.Popen[bytes]] = []

    def env(self, url: str | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LEGATO_")}
        env.update({f"LEGATO_{k}": v for k, v in self.settings.items()})
        env.update({
            "LEGATO_DATABASE_URL": url or self.url, "LEGATO_DATA_DIR": str(self.data_dir),
            "LEGATO_STORAGE_ROOT": str(self.data_dir / "storage"), "LEDGER_URL": url or self.url,
            "LEGATO_EXTRA_PLUGINS": "tests.faults.ledger_plugin",
            "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p),
        })
        return env

    def start(self, role: str, *args: str, url: str | None = None, wrap: Sequence[str] = (),
              env: Mapping[str, str] | None = None) -> subprocess.Popen[bytes]:
        """`legato server <role> <args>`; `url` reaches the database from where it runs, `wrap` prefixes the
        command (e.g. `ip netns exec <host>`), `env` adds variables."""
        log = open(self.data_dir / f"{role}-{len(self.processes)}.log", "wb")  # noqa: SIM115 - kept for the process's life
        process = subprocess.Popen([*wrap, LEGATO, "server", role, *args], env={**self.env(url), **(env or {})},
                                   cwd=self.data_dir,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append(process)
        return process

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([LEGATO, *args], env=self.env(), cwd=self.data_dir, capture_output=True, text=True,
                              timeout=60)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


class Waves:
    """Executions held at a `flow.Pause` task (no duration: it waits to be resumed) and let through one wave at a
    time, so that a fault test's workload lasts until its last fault has landed, however fast the machine is: a
    test releases wave k before fault k and the last wave only after the last fault."""

    def __init__(self, store: SqlStore, ids: Sequence[str], count: int) -> None:
        self.store = store
        self.waves = [list(ids[len(ids) * w // count:len(ids) * (w + 1) // count]) for w in range(count)]  # in order
        self.released = 0

    def release(self, timeout: float = 120) -> list[str]:
        """Resume the next wave once all of it waits at its gate (an execution reaches the gate only when the
        executor gets to it); its execution ids."""
        wave = self.waves[self.released]
        wait_until(lambda: all(self._state(i) == State.PAUSED for i in wave), timeout,
                   f"wave {self.released + 1} of {len(self.waves)} to wait at its gate")
        for execution_id in wave:
            execution_service.resume(self.store, execution_id, by=SYSTEM)
        self.released += 1
        return wave

    def held(self) -> int:
        """How many executions have not been released yet."""
        return sum(len(wave) for wave in self.waves[self.released:])

    def moving(self, wave: Sequence[str]) -> bool:
        """Whether the executor has taken up at least one execution of a released wave again."""
        return any(self._state(i) != State.PAUSED for i in wave)

    def _state(self, execution_id: str) -> State | None:
        execution = self.store.get_execution(execution_id)
        return execution.state if execution is not None else None


def kill9(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def wait_until(predicate: Callable[[], object], timeout: float, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def ledger(url: str) -> list[tuple[str, str, str, int, int]]:
    """(execution, task run, task id, attempt, pid) of every recorded attempt."""
    with psycopg.connect(url) as conn:
        return [tuple(r) for r in conn.execute(  # type: ignore[misc]
            "SELECT execution_id, task_run_id, task_id, attempt, pid FROM ledger ORDER BY id").fetchall()]
