"""A stand-in for DNS in tests of the SSRF guard: names answered from a table (a list of answers is a name that
changes its answer at each lookup, the last one repeated: DNS rebinding), every other name by the real resolver;
and a witness HTTP server that records whatever reaches it (on an address a rebound name points to)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


def fake_dns(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]) -> list[str]:
    """Answer `name` with `answers[name][n]` at its n-th lookup (the last one once they run out); return the
    list of the names looked up, in order. Every lookup (socket.getaddrinfo, the event loop's) goes through it."""
    real = socket.getaddrinfo
    looked_up: list[str] = []

    def getaddrinfo(host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name not in answers:
            return real(host, port, family, type, proto, flags)
        seen = looked_up.count(name)
        looked_up.append(name)
        address = answers[name][min(seen, len(answers[name]) - 1)]
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, int(port or 0)))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return looked_up


@contextmanager
def witness(host: str, port: int) -> Iterator[list[str]]:
    """An HTTP server on host:port that answers 200 to anything and records each request ("POST /path")."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def answer(self) -> None:
            seen.append(f"{self.command} {self.path}")
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        do_GET = do_POST = do_DELETE = answer

    httpd = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield seen
    finally:
        httpd.shutdown()
        httpd.server_close()
