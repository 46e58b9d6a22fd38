"""The one HTTP client of the tasks that call a URL a flow names (http.Request/Download/Trigger, the
notification senders, the AI model APIs, the MCP HTTP tools, Jenkins): httpx, with the SSRF guard of `netguard` in its transport.

`GuardedTransport` resolves the host of every request it sends, redirects included (httpx hands each hop to
the transport), refuses internal addresses the operator did not allow, and sends the request to the checked
address itself, with the original Host header and TLS server name: a name that resolves differently on a
second lookup (DNS rebinding) gets no further. Environment proxies are ignored (a proxy would connect on the
flow's behalf, past the guard), and no connection is kept for a later request."""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

import httpx

from legato.plugins.context import TaskFailed
from legato.plugins.core import netguard

_PORTS = {"http": 80, "https": 443}


class GuardedTransport(httpx.AsyncBaseTransport):
    """An httpx transport that only connects to addresses the guard accepts."""

    def __init__(self, allowed: Sequence[netguard.Network], *, verify: bool | ssl.SSLContext = True) -> None:
        self._allowed = list(allowed)
        self._wire = _wire(verify)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        error: httpx.ConnectError | None = None
        for address in await self.resolve(host, request.url.port or _PORTS.get(request.url.scheme, 80)):
            direct = httpx.Request(
                request.method, request.url.copy_with(host=address), headers=request.headers,
                stream=request.stream, extensions={**request.extensions, "sni_hostname": host},
            )
            try:
                return await self._wire.handle_async_request(direct)
            except httpx.ConnectError as exc:  # the next address, as a socket connect would try them
                error = exc
        raise error or httpx.ConnectError(f"no address to connect to for {host}", request=request)

    async def resolve(self, host: str, port: int) -> list[str]:
        """Every address of `host`, each checked; TaskFailed when one is internal and not allowed."""
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise TaskFailed(f"cannot resolve {host}: {exc.strerror}") from None
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        netguard.check_all(addresses, self._allowed, host)
        return addresses

    async def aclose(self) -> None:
        await self._wire.aclose()


def _wire(verify: bool | ssl.SSLContext) -> httpx.AsyncHTTPTransport:
    # no keep-alive: a kept connection (and its TLS session) must not serve another host on the same address
    return httpx.AsyncHTTPTransport(verify=verify, trust_env=False, limits=httpx.Limits(max_keepalive_connections=0))


def client(*, timeout: httpx.Timeout, guarded: bool = True, verify: bool = True, follow_redirects: bool = False,
           auth: httpx.Auth | None = None, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
    """An httpx client for one task call (`headers` go with each request). `guarded=False` only for an
    endpoint the operator configured, never for one a flow names."""
    transport: httpx.AsyncBaseTransport = (
        GuardedTransport(netguard.allowed_networks(), verify=verify) if guarded else _wire(verify))
    return httpx.AsyncClient(transport=transport, timeout=timeout, follow_redirects=follow_redirects, auth=auth,
                             trust_env=False, headers={"User-Agent": "legato", **(headers or {})})


def timeout(connect: timedelta | None, read: timedelta | None, default: float = 30.0) -> httpx.Timeout:
    """Kestra's connectTimeout and readTimeout, each for its own step; a step without one, and writes, get the
    longer of the two (or `default`)."""
    seconds = max((t.total_seconds() for t in (connect, read) if t), default=default)
    return httpx.Timeout(seconds, connect=connect.total_seconds() if connect else seconds,
                         read=read.total_seconds() if read else seconds)


@asynccontextmanager
async def exchange(http: httpx.AsyncClient, request: httpx.Request, shown: str) -> AsyncIterator[httpx.Response]:
    """Send `request` and stream its answer; a network error or timeout, also while the body is read, becomes
    a TaskFailed naming the request as `shown` (a URL without its secrets)."""
    what = f"{request.method} {shown}"
    try:
        response = await http.send(request, stream=True)
        try:
            yield response
        finally:
            await response.aclose()
    except httpx.TimeoutException as exc:
        raise TaskFailed(f"{what} timed out after {_limit(exc, http.timeout):g} s") from None
    except httpx.HTTPError as exc:
        raise TaskFailed(f"{what} failed: {_reason(exc)}") from None


def _reason(exc: BaseException) -> str:
    """The socket's own words when there are some ("[Errno 111] Connection refused"): httpx and anyio wrap
    them in "All connection attempts failed"."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno:
            return f"[Errno {seen.errno}] {os.strerror(seen.errno)}"
        inner = [a for a in seen.args if isinstance(a, BaseException)]
        seen = seen.__cause__ or (inner[0] if inner else None)
    return str(exc) or type(exc).__name__


def _limit(exc: httpx.TimeoutException, timeout: httpx.Timeout) -> float:
    seconds = timeout.connect if isinstance(exc, httpx.ConnectTimeout) else timeout.read
    return seconds or 0.0


async def read_upto(response: httpx.Response, limit: int) -> bytes:
    """At most `limit` bytes of the (decoded) body, without reading further."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return b"".join(chunks)[:limit]


def text(response: httpx.Response, raw: bytes) -> str:
    """`raw` decoded with the answer's charset (UTF-8 when it names none, or one Python does not know)."""
    try:
        return raw.decode(response.charset_encoding or "utf-8", errors="replace")
    except LookupError:
        return raw.decode("utf-8", errors="replace")


def header_lists(response: httpx.Response) -> dict[str, list[str]]:
    """The answer's headers as Kestra's outputs show them: each name as sent, with all its values."""
    found: dict[str, list[str]] = {}
    for name, value in response.headers.raw:
        found.setdefault(name.decode(response.headers.encoding), []).append(value.decode(response.headers.encoding))
    return found


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    text: str


async def send(method: str, url: str, *, shown: str, headers: dict[str, str], content: bytes | None,
               seconds: httpx.Timeout, limit: int, guarded: bool = True) -> Reply:
    """One request to an API a credential is sent to: no redirects (they would resend it elsewhere), the
    answer read up to `limit` bytes whatever its status."""
    async with client(timeout=seconds, guarded=guarded) as http:
        try:
            request = http.build_request(method, url, headers=headers, content=content)
        except httpx.InvalidURL as exc:
            raise TaskFailed(f"{method} {shown} failed: {exc}") from None
        async with exchange(http, request, shown) as response:
            body = await read_upto(response, limit)
            return Reply(response.status_code, body, text(response, body))
