"""Serving the API: binding its socket and running uvicorn on the caller's event loop (the composition root,
legato.server.compose, runs it beside the roles)."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import sys
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI


class _EmbeddedServer(uvicorn.Server):
    """uvicorn without its own signal handling: the caller owns SIGINT/SIGTERM and says when to stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening socket (port 0 picks a free one); OSError when the address is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must say TCP: asyncio sets TCP_NODELAY only on sockets that do, and without it each small response
    # written in two parts waits out the client's delayed ACK (~40 ms per request on a kept-alive connection).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


async def serve(app: FastAPI, stopping: asyncio.Event, sock: socket.socket) -> None:
    """Serve `app` on `sock` until `stopping` is set; setting it when the server ends on its own."""
    # A render in a worker thread (a preview, a task's properties) holds the GIL for up to the switch interval
    # at a time; each await of a request on the event loop may wait that long to take it back. 1 ms instead of
    # CPython's 5 ms keeps other requests answering quickly while a long render runs.
    sys.setswitchinterval(0.001)
    # uvicorn's lines go through the process's own handler (text or JSON, legato.telemetry.logs), not its own
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False, timeout_graceful_shutdown=5,
                            log_config=None)
    server = _EmbeddedServer(config)
    http = asyncio.create_task(server.serve(sockets=[sock]), name="http")
    stop = asyncio.create_task(stopping.wait(), name="stop-signal")
    try:
        await asyncio.wait([http, stop], return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.set()
        server.should_exit = True
        await http
        stop.cancel()
