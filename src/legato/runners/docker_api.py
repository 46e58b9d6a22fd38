"""A small blocking client for the Docker Engine API, over its unix socket (or plain tcp:// for a local
engine). Only what the docker runner needs; callers run it in a thread."""

from __future__ import annotations

import http.client
import json
import os
import socket
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

DEFAULT_SOCKET = "/var/run/docker.sock"


class EngineError(Exception):
    """The engine answered with an error, or could not be reached."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class EngineAddress:
    """Where the engine listens: a unix socket path, or host and port."""

    socket_path: str | None = None
    host: str | None = None
    port: int | None = None

    def __str__(self) -> str:
        return f"unix://{self.socket_path}" if self.socket_path else f"tcp://{self.host}:{self.port}"


def engine_address(host: str | None = None, environ: Mapping[str, str] | None = None) -> EngineAddress:
    """The engine's address from `host` (the runner's property), else DOCKER_HOST, else the default socket."""
    env = os.environ if environ is None else environ
    value = host or env.get("DOCKER_HOST") or f"unix://{DEFAULT_SOCKET}"
    parts = urlsplit(value)
    if parts.scheme == "unix":
        return EngineAddress(socket_path=parts.path)
    if parts.scheme in ("tcp", "http"):
        return EngineAddress(host=parts.hostname or "localhost", port=parts.port or 2375)
    raise EngineError(f"unsupported Docker host {value!r}: use unix:///path/to/docker.sock or tcp://host:port")


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float | None) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self._path)
        self.sock = sock


class EngineClient:
    """One request per connection: simple, and a streaming response never blocks another call."""

    def __init__(self, address: EngineAddress, timeout: float | None = 60.0) -> None:
        self.address = address
        self.timeout = timeout

    def reachable(self) -> bool:
        """Whether the engine answers /_ping."""
        if self.address.socket_path and not os.path.exists(self.address.socket_path):
            return False
        try:
            status, _ = self.call("GET", "/_ping", timeout=2.0)
        except (EngineError, OSError):
            return False
        return status == 200

    def call(self, method: str, path: str, *, query: Mapping[str, Any] | None = None, body: Any = None,
             raw: bytes | None = None, headers: Mapping[str, str] | None = None,
             timeout: float | None = -1.0) -> tuple[int, bytes]:
        """Send one request and read the whole answer; a status >= 400 raises EngineError."""
        response, conn = self._send(method, path, query, body, raw, headers, timeout)
        try:
            data = response.read()
        finally:
            conn.close()
        if response.status >= 400:
            raise EngineError(f"{method} {path}: {_message(data)}", response.status)
        return response.status, data

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        _, data = self.call(method, path, **kwargs)
        return json.loads(data) if data.strip() else None

    def stream(self, method: str, path: str, *, query: Mapping[str, Any] | None = None,
               timeout: float | None = None) -> Iterator[bytes]:
        """The answer's body in chunks as they arrive (logs of a running container)."""
        response, conn = self._send(method, path, query, None, None, None, timeout)
        try:
            if response.status >= 400:
                raise EngineError(f"{method} {path}: {_message(response.read())}", response.status)
            while chunk := response.read1(1 << 16):
                yield chunk
        finally:
            conn.close()

    def _send(self, method: str, path: str, query: Mapping[str, Any] | None, body: Any, raw: bytes | None,
              headers: Mapping[str, str] | None, timeout: float | None) -> tuple[http.client.HTTPResponse, http.client.HTTPConnection]:
        wait = self.timeout if timeout == -1.0 else timeout
        conn: http.client.HTTPConnection
        if self.address.socket_path:
            conn = _UnixConnection(self.address.socket_path, wait)
        else:
            conn = http.client.HTTPConnection(self.address.host or "localhost", self.address.port, timeout=wait)
        url = path + ("?" + urlencode({k: v for k, v in query.items() if v is not None}) if query else "")
        sent_headers = dict(headers or {})
        payload: bytes | None = raw
        if body is not None:
            payload = json.dumps(body).encode()
            sent_headers.setdefault("Content-Type", "application/json")
        try:
            conn.request(method, url, body=payload, headers=sent_headers)
            return conn.getresponse(), conn
        except OSError as exc:
            conn.close()
            raise EngineError(f"cannot reach the Docker engine at {self.address}: {exc}") from exc


def demux(chunks: Iterator[bytes]) -> Iterator[tuple[bool, bytes]]:
    """Split the engine's multiplexed log stream into (is_stderr, payload) frames."""
    buffer = b""
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= 8:
            size = int.from_bytes(buffer[4:8], "big")
            if len(buffer) < 8 + size:
                break
            kind, payload, buffer = buffer[0], buffer[8:8 + size], buffer[8 + size:]
            yield kind == 2, payload


def _message(data: bytes) -> str:
    try:
        return str(json.loads(data).get("message", data.decode(errors="replace")))
    except (ValueError, AttributeError):
        return data.decode(errors="replace").strip() or "no message"
