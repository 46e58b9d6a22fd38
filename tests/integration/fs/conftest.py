"""A real OpenSSH server (tests/sshd.py) with a password user whose home is the test's own folder, a real FTP
and FTPS server (pyftpdlib), and the task harness of the core task tests with internal storage; the loopback
address is allowed to the tasks."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.sshd import SshServer, ssh_server
from tests.unit.plugins.conftest import Harness
from tests.unit.plugins.conftest import clock as clock
from tests.unit.plugins.conftest import harness as harness

from legato.plugins import registry
from legato.plugins.core.netguard import ENV_ALLOWED
from legato.runners.select import RunnerSettings
from legato.storage import LocalStorage


@pytest.fixture
def sshd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SshServer]:
    monkeypatch.setenv(ENV_ALLOWED, "127.0.0.1/32")
    with ssh_server(tmp_path / "repos", tmp_path / "sshd", password_home=tmp_path / "home") as server:
        yield server


class Tasks:
    """Runs tasks as the worker does, with internal storage, all in one execution."""

    def __init__(self, harness: Harness, storage: LocalStorage) -> None:
        self.harness = harness
        self.storage = storage
        self.execution = harness.execution()

    def run(self, source: str, *, unisolated: bool = False, working_dir: Path | None = None) -> dict[str, Any]:
        """Run `source`; script tasks run in the sandbox, or `unisolated` (LEGATO_UNSAFE_PROCESS_RUNNER=true), in
        `working_dir` as a WorkingDirectory's tasks do."""
        ctx = self.harness.context(storage=self.storage, execution=self.execution)
        ctx.working_dir = working_dir
        if unisolated:
            ctx.runner_settings = RunnerSettings(unsafe=True)
        self.last = ctx
        return self.harness.run(source, ctx)

    def messages(self) -> list[str]:
        return [message for _, message in self.harness.messages(self.last)]


@pytest.fixture
def tasks(harness: Harness, tmp_path: Path) -> Tasks:
    registry()
    return Tasks(harness, LocalStorage(tmp_path / "storage"))


@dataclass
class FtpServer:
    port: int
    root: Path
    user: str = "bob"
    password: str = "bob-s3cret"


def _ftp(root: Path, tmp_path: Path, tls: bool) -> Iterator[FtpServer]:
    from pyftpdlib.authorizers import DummyAuthorizer
    from pyftpdlib.handlers import FTPHandler, TLS_FTPHandler
    from pyftpdlib.servers import FTPServer as Server

    root.mkdir(parents=True, exist_ok=True)
    authorizer = DummyAuthorizer()
    authorizer.add_user(FtpServer.user, FtpServer.password, str(root), perm="elradfmwMT")
    handler: Any
    if tls:
        cert = tmp_path / "ftps.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                        "/CN=127.0.0.1", "-keyout", str(cert), "-out", str(cert)], check=True, capture_output=True)
        handler = type("Handler", (TLS_FTPHandler,), {"certfile": str(cert), "tls_control_required": True,
                                                      "tls_data_required": True})
    else:
        handler = type("Handler", (FTPHandler,), {})
    handler.authorizer = authorizer
    handler.passive_ports = None
    server = Server(("127.0.0.1", 0), handler)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            server.serve_forever(timeout=0.1, blocking=False)
        server.close_all()

    thread = threading.Thread(target=serve, name="ftp", daemon=True)
    thread.start()
    try:
        yield FtpServer(server.address[1], root)
    finally:
        stop.set()
        thread.join(10)


@pytest.fixture
def ftp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FtpServer]:
    monkeypatch.setenv(ENV_ALLOWED, "127.0.0.1/32")
    yield from _ftp(tmp_path / "ftp", tmp_path, tls=False)


@pytest.fixture
def ftps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FtpServer]:
    monkeypatch.setenv(ENV_ALLOWED, "127.0.0.1/32")
    yield from _ftp(tmp_path / "ftps", tmp_path, tls=True)
