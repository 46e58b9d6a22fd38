"""The audit log leaves Legato as syslog CEF events to a real UDP and TCP receiver on 127.0.0.1 (a receiver
that is down gets the backlog once it is back), and the retention loop deletes entries older than
`retention.audit_logs`."""

from __future__ import annotations

import asyncio
import re
import socket
import socketserver
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from legato.executor.audit_shipper import AuditShipper
from legato.executor.retention import Retention
from legato.store import open_store
from legato.store.ports.governance import AuditEntry, AuditFilter
from legato.store.sql import SqlStore

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _entry(n: int, action: str = "UPDATE", at: datetime = NOW) -> AuditEntry:
    return AuditEntry(at=at + timedelta(seconds=n), action=action, resource="FLOW", resource_id=f"company.f|{n}",
                      actor_kind="user", actor="alice=admin", namespace="company", ip="10.0.0.1", token_id="tok-1",
                      details={"diff": "x"})


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    store = open_store(f"sqlite:///{tmp_path / 'legato.db'}")
    store.migrate()
    yield store
    store.close()


class _Receiver:
    """A syslog receiver: the lines it got, over UDP or TCP."""

    def __init__(self, protocol: str, port: int = 0):
        self.lines: list[str] = []
        received = self.lines

        class Udp(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                received.extend(self.request[0].decode().splitlines())

        class Tcp(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                for line in self.rfile:
                    received.append(line.decode().rstrip("\n"))

        kind: Any = socketserver.ThreadingUDPServer if protocol == "udp" else socketserver.ThreadingTCPServer
        kind.allow_reuse_address = True
        self.server = kind(("127.0.0.1", port), Udp if protocol == "udp" else Tcp)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, count: int, timeout: float = 30) -> list[str]:
        deadline = datetime.now(UTC) + timedelta(seconds=timeout)
        while len(self.lines) < count:
            assert datetime.now(UTC) < deadline, f"got {len(self.lines)} of {count} lines"
            threading.Event().wait(0.05)
        return self.lines

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("protocol", ["udp", "tcp"])
def test_new_entries_arrive_as_cef_lines(store: SqlStore, protocol: str) -> None:
    store.audit_append([_entry(0)])  # before the shipper starts: not shipped
    receiver = _Receiver(protocol)
    shipper = AuditShipper(store, "127.0.0.1", receiver.port, protocol=protocol, version="1.2.3",  # type: ignore[arg-type]
                           hostname="legato-host")
    try:
        shipper.start_from_now()
        store.audit_append([_entry(1, "DELETE"), _entry(2, "READ")])
        assert shipper.ship() == 2
        lines = receiver.wait(2)
    finally:
        shipper.close()
        receiver.stop()
    first = lines[0]
    assert first.startswith("<109>1 2026-12-01T12:00:01Z legato-host legato - audit - CEF:0|Legato|Legato|1.2.3|"
                            "FLOW.DELETE|DELETE FLOW|5|")
    extension = dict(re.findall(r"(\w+)=((?:\\.|[^\\ ])+(?: (?!\w+=)(?:\\.|[^\\ ])+)*)", first.split("|", 7)[7]))
    assert extension["rt"] == str(int((NOW + timedelta(seconds=1)).timestamp() * 1000))
    assert (extension["act"], extension["suser"], extension["src"]) == ("DELETE", "alice\\=admin", "10.0.0.1")
    assert (extension["cs2"], extension["cs3"], extension["cs5"]) == ("company.f|1", "company", "tok-1")
    assert "|READ FLOW|1|" in lines[1]


def test_a_receiver_that_is_down_gets_the_backlog_when_it_is_back(store: SqlStore) -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    shipper = AuditShipper(store, "127.0.0.1", port, protocol="tcp", interval_seconds=0.05)
    shipper.start_from_now()
    store.audit_append([_entry(n) for n in range(3)])
    with pytest.raises(OSError):
        shipper.ship()
    receiver = _Receiver("tcp", port)
    stopping = asyncio.Event()

    async def main() -> None:
        task = asyncio.create_task(shipper.run(stopping))
        await asyncio.to_thread(receiver.wait, 3)
        store.audit_append([_entry(3)])
        await asyncio.to_thread(receiver.wait, 4)
        stopping.set()
        await task

    try:
        asyncio.run(main())
    finally:
        receiver.stop()
    assert [line.split("cs2=")[1].split(" ")[0] for line in receiver.lines] == [
        "company.f|0", "company.f|1", "company.f|2", "company.f|3"]


def test_retention_purges_old_audit_entries(store: SqlStore) -> None:
    store.audit_append([_entry(n, at=NOW - timedelta(days=40)) for n in range(3)] + [_entry(0)])
    retention = Retention(store, lambda: NOW, executions=None, audit_logs=timedelta(days=30), batch=2)
    assert retention.purge().audit_logs == 3
    assert store.audit_search(AuditFilter())[1] == 1
    assert Retention(store, lambda: NOW, executions=None).purge().audit_logs == 0  # no setting: kept
