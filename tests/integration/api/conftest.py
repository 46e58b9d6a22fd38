"""A real Legato server for the API tests: uvicorn on a free 127.0.0.1 port plus the runtime (executor,
worker, timers), on SQLite and on PostgreSQL (a throw-away database `legato_api_<random>` per session).

One server per backend per session; tests stay apart by using their own namespace (`ns` fixture).
PostgreSQL unreachable: its tests are skipped locally and fail in CI (CI=true).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.services import pg_database

from legato.api import create_app
from legato.api.server import bind
from legato.server.compose import Process, Runtime
from legato.services.copilot import Model
from legato.store import open_store
from legato.store.ports import Store

ADMIN_URL = os.environ.get("LEGATO_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


@dataclass
class LiveServer:
    url: str
    store: Store
    data_dir: Path
    backend: str

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kwargs)


class _ServerThread(threading.Thread):
    """The API and the runtime on one event loop in a background thread."""

    def __init__(self, store: Store, data_dir: Path, basic_auth: tuple[str, str] | None = None,
                 ai_model: Model | None = None) -> None:
        super().__init__(name="legato-api-test", daemon=True)
        self.sock = bind("127.0.0.1", 0)
        self.port = self.sock.getsockname()[1]
        self.app = create_app(store, data_dir=data_dir, basic_auth=basic_auth, poll_seconds=0.05, ai_model=ai_model)
        self.runtime = Runtime(store, worker_slots=8, poll_seconds=0.2, data_dir=data_dir)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.stopping: asyncio.Event | None = None
        self.ready = threading.Event()

    def run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.stopping = asyncio.Event()
        self.ready.set()
        await Process(self.runtime.store, self.runtime, app=self.app, sock=self.sock).run(self.stopping)

    def stop(self) -> None:
        assert self.loop is not None and self.stopping is not None
        self.loop.call_soon_threadsafe(self.stopping.set)
        self.join(timeout=15)


def _wait_healthy(url: str) -> None:
    for _ in range(200):
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        threading.Event().wait(0.05)
    raise RuntimeError(f"server at {url} never became healthy")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    yield from pg_database("legato_api", migrate=False)


def _start(store: Store, data_dir: Path, backend: str, basic_auth: tuple[str, str] | None = None,
           ai_model: Model | None = None) -> Iterator[LiveServer]:
    store.migrate()
    thread = _ServerThread(store, data_dir, basic_auth, ai_model)
    thread.start()
    thread.ready.wait(10)
    url = f"http://127.0.0.1:{thread.port}"
    try:
        _wait_healthy(url)
        yield LiveServer(url=url, store=store, data_dir=data_dir, backend=backend)
    finally:
        thread.stop()
        store.close()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A running server on each backend."""
    data_dir = tmp_path_factory.mktemp(f"api-{request.param}")
    if request.param == "sqlite":
        store = open_store(f"sqlite:///{data_dir / 'legato.db'}")
    else:
        store = open_store(request.getfixturevalue("postgres_url"))
    yield from _start(store, data_dir, request.param)


@pytest.fixture(scope="session")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server (SQLite) with basic auth admin:s3cret."""
    data_dir = tmp_path_factory.mktemp("api-auth")
    store = open_store(f"sqlite:///{data_dir / 'legato.db'}")
    yield from _start(store, data_dir, "sqlite", basic_auth=("admin", "s3cret"))


@pytest.fixture
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with server.client() as c:
        yield c


@pytest.fixture
def ns() -> str:
    """A namespace of this test's own."""
    return f"test.api.n{secrets.token_hex(4)}"

