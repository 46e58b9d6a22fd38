"""io.kestra.plugin.fs.tcp.Send against a real TCP server on 127.0.0.1 (a socketserver that keeps what each
connection sent): text and base64 payloads arrive byte for byte, the outputs, the SSRF guard, and clear errors."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator

import pytest
from tests.integration.fs.conftest import Tasks

from legato.plugins.context import TaskFailed
from legato.plugins.core.netguard import ENV_ALLOWED


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.done = threading.Event()
        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        chunks = []
        while chunk := self.request.recv(65536):
            chunks.append(chunk)
        server = self.server
        assert isinstance(server, Server)
        server.received.append(b"".join(chunks))
        server.done.set()


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    monkeypatch.setenv(ENV_ALLOWED, "127.0.0.1/32")
    with Server() as running:
        thread = threading.Thread(target=running.serve_forever, daemon=True)
        thread.start()
        yield running
        running.shutdown()


def _received(server: Server) -> bytes:
    assert server.done.wait(10)
    server.done.clear()
    return server.received[-1]


def test_text_and_base64_payloads_arrive(server: Server, tasks: Tasks) -> None:
    out = tasks.run(f"id: send\ntype: io.kestra.plugin.fs.tcp.Send\nhost: 127.0.0.1\nport: '{{{{ {server.port} }}}}'\n"
                    "payload: \"Hello {{ 'from' }} Légato\"\n")
    assert out == {"host": "127.0.0.1", "port": server.port, "sentBytes": len("Hello from Légato".encode())}
    assert _received(server) == "Hello from Légato".encode()
    assert f"Sent 18 byte(s) to 127.0.0.1:{server.port}" in tasks.messages()
    tasks.run(f"id: send\ntype: io.kestra.plugin.fs.tcp.Send\nhost: 127.0.0.1\nport: {server.port}\n"
              "payload: AAH/\nencoding: BASE64\n")
    assert _received(server) == b"\x00\x01\xff"
    tasks.run(f"id: send\ntype: io.kestra.plugin.fs.tcp.Send\nhost: 127.0.0.1\nport: {server.port}\n"
              "payload: café\nencoding: ISO-8859-1\n")
    assert _received(server) == "café".encode("latin-1")


def test_errors_a_user_sees(server: Server, tasks: Tasks, monkeypatch: pytest.MonkeyPatch) -> None:
    base = f"id: send\ntype: io.kestra.plugin.fs.tcp.Send\nhost: 127.0.0.1\nport: {server.port}\n"
    with pytest.raises(TaskFailed, match="not valid base64"):
        tasks.run(base + "payload: '%%%'\nencoding: BASE64\n")
    with pytest.raises(TaskFailed, match="unknown encoding 'KLINGON'"):
        tasks.run(base + "payload: x\nencoding: KLINGON\n")
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        closed = unused.getsockname()[1]
    with pytest.raises(TaskFailed, match=f"cannot send to 127\\.0\\.0\\.1:{closed}"):
        tasks.run(f"id: send\ntype: io.kestra.plugin.fs.tcp.Send\nhost: 127.0.0.1\nport: {closed}\npayload: x\n")
    monkeypatch.delenv(ENV_ALLOWED)
    with pytest.raises(TaskFailed, match=r"refusing to connect to 127\.0\.0\.1"):
        tasks.run(base + "payload: x\n")
    assert server.received == []
