"""What the single sign-on tests share: an instance with an owner and a `data-team` group bound to the Viewer
role on namespace `team`, and `legato server webserver` run as a real process with sign-in settings from the
environment."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

from legato.clock import utcnow
from legato.services import access, identity
from legato.services.principal import SYSTEM
from legato.store import open_store

LEGATO = str(Path(sys.executable).with_name("legato"))
OWNER = ("root", "root-password")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def prepare(data: Path) -> str:
    """A data dir whose database has the owner and the `data-team` group (Viewer on `team`); its URL."""
    data.mkdir(parents=True)
    url = f"sqlite:///{data / 'legato.db'}"
    store = open_store(url)
    store.migrate()
    now = utcnow()
    identity.bootstrap_owner(store, *OWNER, now=now)
    group = access.create_group(store, "data-team", by=SYSTEM, now=now)
    access.create_binding(store, "viewer", "GROUP", group.id, "team", by=SYSTEM, now=now)
    access.create_group(store, "ops", by=SYSTEM, now=now)
    store.close()
    return url


@contextmanager
def webserver(data: Path, url: str, port: int, settings: Mapping[str, str], *, local: bool = False) -> Iterator[str]:
    """`legato server webserver` (or, `local`, `legato server local` on `data`'s SQLite database) on
    127.0.0.1:`port` with `settings` (LEGATO_* variables); its base URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEGATO_")}
    env.update(settings)
    if local:
        command = [LEGATO, "server", "local", "--data-dir", str(data), "--port", str(port)]
    else:
        env.update({"LEGATO_DATABASE_URL": url, "LEGATO_DATA_DIR": str(data), "LEGATO_PORT": str(port)})
        command = [LEGATO, "server", "webserver"]
    log = open(data / "webserver.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the webserver did not start:\n{(data / 'webserver.log').read_text()}")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def groups_of(url: str, name: str) -> list[str]:
    """The names of the groups the user `name` is a member of."""
    store = open_store(url)
    try:
        account = store.account_by_name(name)
        assert account is not None, f"no user {name}"
        names = {g.id: g.name for g in store.list_groups()}
        return sorted(names[g] for g in store.groups_of(account.id))
    finally:
        store.close()
