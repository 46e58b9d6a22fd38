"""Serving the API with uvicorn on the event loop that runs Legato's services, both stopping together."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI

from legato.runtime.runtime import Runtime

log = logging.getLogger("legato.api")


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


async def serve(app: FastAPI, runtime: Runtime | None, stopping: asyncio.Event, sock: socket.socket) -> None:
    """Serve `app` on `sock` and run `runtime` until `stopping` is set (or either of them ends)."""
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False, timeout_graceful_shutdown=5)
    server = _EmbeddedServer(config)
    http = asyncio.create_task(server.serve(sockets=[sock]), name="http")
    services = asyncio.create_task(runtime.run(stopping), name="runtime") if runtime else None
    watched = [t for t in (http, services) if t is not None]
    stop = asyncio.create_task(stopping.wait(), name="stop-signal")
    try:
        await asyncio.wait([*watched, stop], return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.set()
        server.should_exit = True
        results = await asyncio.gather(*watched, return_exceptions=True)
        stop.cancel()
        for task, result in zip(watched, results, strict=True):
            if isinstance(result, BaseException) and not isinstance(result, asyncio.CancelledError):
                log.error("%s stopped with an error: %r", task.get_name(), result)
