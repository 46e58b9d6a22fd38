"""A client for the Docker Engine API, over its unix socket (or plain tcp:// for a remote engine), with httpx:
async for the runner and the docker tasks, plus a blocking `ping` for choosing a runner."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx

DEFAULT_SOCKET = "/var/run/docker.sock"
API_VERSION = "v1.41"  # Docker 20.10, Debian 12's engine; later engines answer it too
_TIMEOUT = 60.0
Params = Mapping[str, Any] | Sequence[tuple[str, Any]]


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

    @property
    def local(self) -> bool:
        """Whether the engine shares this machine's filesystem (a unix socket): host paths can be mounted."""
        return self.socket_path is not None

    def base_url(self) -> str:
        root = "http://docker" if self.socket_path else f"http://{self.host}:{self.port}"
        return f"{root}/{API_VERSION}"

    def transport(self) -> httpx.AsyncHTTPTransport:
        return httpx.AsyncHTTPTransport(uds=self.socket_path, verify=False)


def engine_address(host: str | None = None, environ: Mapping[str, str] | None = None) -> EngineAddress:
    """The engine's address from `host` (the task's property), else DOCKER_HOST, else the default socket."""
    env = os.environ if environ is None else environ
    value = host or env.get("DOCKER_HOST") or f"unix://{DEFAULT_SOCKET}"
    parts = urlsplit(value if "://" in value else f"unix://{value}")
    if parts.scheme == "unix":
        return EngineAddress(socket_path=parts.path)
    if parts.scheme in ("tcp", "http"):
        return EngineAddress(host=parts.hostname or "localhost", port=parts.port or 2375)
    raise EngineError(f"unsupported Docker host {value!r}: use unix:///path/to/docker.sock or tcp://host:port")


def ping(address: EngineAddress, timeout: float = 2.0) -> bool:
    """Whether the engine answers /_ping (blocking; a missing socket file answers at once)."""
    if address.socket_path and not os.path.exists(address.socket_path):
        return False
    transport = httpx.HTTPTransport(uds=address.socket_path, verify=False)
    try:
        with httpx.Client(transport=transport, base_url=address.base_url(), timeout=timeout) as client:
            return client.get("/_ping").status_code == 200
    except httpx.HTTPError:
        return False


class EngineClient:
    """One connection pool to one engine; use as `async with EngineClient(address) as engine:`."""

    def __init__(self, address: EngineAddress, timeout: float = _TIMEOUT) -> None:
        self.address = address
        self._http = httpx.AsyncClient(transport=address.transport(), base_url=address.base_url(), timeout=timeout)

    async def __aenter__(self) -> EngineClient:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def call(self, method: str, path: str, *, params: Params | None = None, body: Any = None,
                   content: bytes | None = None, headers: Mapping[str, str] | None = None,
                   timeout: float | httpx.Timeout | None = _TIMEOUT) -> httpx.Response:
        """Send one request and read the whole answer; a status >= 400 raises EngineError."""
        try:
            answer = await self._http.request(method, path, params=_params(params), json=body, content=content,
                                              headers=headers, timeout=timeout)
        except httpx.HTTPError as exc:
            raise EngineError(f"cannot reach the Docker engine at {self.address}: {exc or type(exc).__name__}") from exc
        if answer.status_code >= 400:
            raise EngineError(f"{method} {path}: {_message(answer.content)}", answer.status_code)
        return answer

    async def json(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = await self.call(method, path, **kwargs)
        return answer.json() if answer.content.strip() else None

    async def progress(self, method: str, path: str, **kwargs: Any) -> list[dict[str, Any]]:
        """A call whose answer is a stream of JSON messages (pull, push, build, import); an `error` in any of
        them raises EngineError, even though the status was 200."""
        answer = await self.call(method, path, **kwargs)
        messages = [json.loads(line) for line in answer.text.splitlines() if line.strip().startswith("{")]
        for message in messages:
            if message.get("error"):
                raise EngineError(f"{method} {path}: {message['error']}", answer.status_code)
        return messages

    @contextlib.asynccontextmanager
    async def stream(self, method: str, path: str, *, params: Params | None = None, content: bytes | None = None,
                     headers: Mapping[str, str] | None = None) -> AsyncIterator[AsyncIterator[bytes]]:
        """The answer's body in chunks as they arrive (a container's output, its exit, a build's progress). The
        block starts once the engine has sent the headers, which for attach and wait means it is listening."""
        request = self._http.build_request(method, path, params=_params(params), content=content, headers=headers,
                                           timeout=httpx.Timeout(_TIMEOUT, read=None))
        try:
            answer = await self._http.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise EngineError(f"cannot reach the Docker engine at {self.address}: {exc or type(exc).__name__}") from exc
        try:
            if answer.status_code >= 400:
                raise EngineError(f"{method} {path}: {_message(await answer.aread())}", answer.status_code)
            yield answer.aiter_raw()
        finally:
            await answer.aclose()


async def messages(chunks: AsyncIterator[bytes]) -> AsyncIterator[dict[str, Any]]:
    """The JSON messages of a progress stream (build, pull, push), one per line, as they arrive."""
    pending = b""
    async for chunk in chunks:
        *lines, pending = (pending + chunk).split(b"\n")
        for line in lines:
            if line.strip().startswith(b"{"):
                yield dict(json.loads(line))
    if pending.strip().startswith(b"{"):
        yield dict(json.loads(pending))


async def demux(chunks: AsyncIterator[bytes]) -> AsyncIterator[tuple[bool, bytes]]:
    """Split the engine's multiplexed output stream into (is_stderr, payload) frames."""
    buffer = b""
    async for chunk in chunks:
        buffer += chunk
        while len(buffer) >= 8:
            size = int.from_bytes(buffer[4:8], "big")
            if len(buffer) < 8 + size:
                break
            kind, payload, buffer = buffer[0], buffer[8:8 + size], buffer[8 + size:]
            yield kind == 2, payload


def _params(params: Params | None) -> list[tuple[str, Any]] | None:
    if params is None:
        return None
    items = params.items() if isinstance(params, Mapping) else params
    return [(k, v) for k, v in items if v is not None]


def _message(data: bytes) -> str:
    try:
        return str(json.loads(data).get("message", data.decode(errors="replace")))
    except (ValueError, AttributeError):
        return data.decode(errors="replace").strip() or "no message"
