"""The SSRF guard in the transport of `httpclient`, against real HTTP servers on 127.0.0.1 and 127.0.0.2 (both
loopback, so internal): redirects are checked hop by hop, names are checked by what they resolve to, and the
request goes to the address that was checked."""

from __future__ import annotations

import asyncio
import json
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from legato.plugins.context import TaskFailed
from legato.plugins.core import httpclient


class Server:
    """A real HTTP server that answers /to/<url> with a redirect there, anything else with what it received."""

    def __init__(self, host: str, tls: ssl.SSLContext | None = None) -> None:
        self.seen: list[str] = []
        seen = self.seen

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                seen.append(self.path)
                if self.path.startswith("/to/"):
                    self.send_response(302)
                    self.send_header("Location", self.path[len("/to/"):])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = json.dumps({"path": self.path, "host": self.headers.get("Host")}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.url = f"http://{host}:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def first() -> Iterator[Server]:
    server = Server("127.0.0.1")
    yield server
    server.httpd.shutdown()


@pytest.fixture
def second() -> Iterator[Server]:
    server = Server("127.0.0.2")
    yield server
    server.httpd.shutdown()


def get(url: str, *, follow: bool = True) -> httpx.Response:
    async def main() -> httpx.Response:
        async with httpclient.client(timeout=httpx.Timeout(5), follow_redirects=follow) as http:
            response = await http.get(url)
            await response.aread()
            return response

    return asyncio.run(main())


def test_a_redirect_to_an_internal_address_not_allowed_is_refused(
        first: Server, second: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGATO_HTTP_ALLOWED_NETWORKS", "127.0.0.1/32")
    assert get(f"{first.url}/to/{first.url}/here").json()["path"] == "/here"  # an allowed hop is followed
    with pytest.raises(TaskFailed, match=r"refusing to connect to 127\.0\.0\.2 \(127\.0\.0\.2\): it is a private"):
        get(f"{first.url}/to/{second.url}/secret")
    assert second.seen == []
    monkeypatch.setenv("LEGATO_HTTP_ALLOWED_NETWORKS", "127.0.0.1/32,127.0.0.2/32")
    assert get(f"{first.url}/to/{second.url}/secret").json()["path"] == "/secret"


def test_a_name_resolving_to_loopback_is_refused_unless_allowed(first: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEGATO_HTTP_ALLOWED_NETWORKS", raising=False)
    with pytest.raises(TaskFailed, match=r"refusing to connect to localhost .*LEGATO_HTTP_ALLOWED_NETWORKS"):
        get(f"http://localhost:{first.port}/x")
    assert first.seen == []
    # localhost may resolve to ::1 too, where nothing listens: the transport goes on to the next checked address
    monkeypatch.setenv("LEGATO_HTTP_ALLOWED_NETWORKS", "127.0.0.0/8,::1/128")
    answer = get(f"http://localhost:{first.port}/x").json()
    assert answer == {"path": "/x", "host": f"localhost:{first.port}"}


def test_the_request_goes_to_the_address_that_was_checked(first: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """A name is resolved once, by the guard: a second lookup (DNS rebinding) never happens. The name used here
    resolves nowhere, so only the guard's own answer (a stand-in for a DNS server) can reach the server."""
    resolved: list[str] = []

    class OneLookup(httpclient.GuardedTransport):
        async def resolve(self, host: str, port: int) -> list[str]:
            resolved.append(host)
            return ["127.0.0.1"] if host == "rebind.invalid" else await super().resolve(host, port)

    monkeypatch.setenv("LEGATO_HTTP_ALLOWED_NETWORKS", "127.0.0.1/32")

    async def main() -> httpx.Response:
        transport = OneLookup(httpclient.netguard.allowed_networks())
        async with httpx.AsyncClient(transport=transport) as http:
            return await http.get(f"http://rebind.invalid:{first.port}/x")

    assert asyncio.run(main()).json() == {"path": "/x", "host": f"rebind.invalid:{first.port}"}
    assert resolved == ["rebind.invalid"]


def test_an_unknown_name_and_a_refused_connection_are_task_failures(first: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGATO_HTTP_ALLOWED_NETWORKS", "127.0.0.1/32")
    with pytest.raises(TaskFailed, match=r"cannot resolve nothing\.invalid"):
        get("http://nothing.invalid/")
    first.httpd.shutdown()
    first.httpd.server_close()

    async def main() -> None:
        async with (httpclient.client(timeout=httpx.Timeout(5)) as http,
                    httpclient.exchange(http, http.build_request("GET", f"{first.url}/x"), "the server")):
            pass

    with pytest.raises(TaskFailed, match=r"GET the server failed: \[Errno 111\] Connection refused"):
        asyncio.run(main())


def _tls_server(folder: Path, name: str) -> tuple[ThreadingHTTPServer, ssl.SSLContext]:
    """A real HTTPS server on 127.0.0.1 whose self-signed certificate names `name` only, and a client context
    that trusts that certificate."""
    key, cert = folder / f"{name}.key", folder / f"{name}.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}"],
                   check=True, capture_output=True)
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    served.load_cert_chain(cert, key)
    httpd = Server("127.0.0.1", served).httpd
    trusted = ssl.create_default_context(cafile=str(cert))
    return httpd, trusted


@pytest.mark.parametrize(("name", "verified"), [("localhost", True), ("elsewhere.test", False)])
def test_tls_checks_the_certificate_against_the_name_not_the_address(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, verified: bool) -> None:
    monkeypatch.setenv("LEGATO_HTTP_ALLOWED_NETWORKS", "127.0.0.0/8,::1/128")
    httpd, trusted = _tls_server(tmp_path, name)

    async def main() -> httpx.Response:
        transport = httpclient.GuardedTransport(httpclient.netguard.allowed_networks(), verify=trusted)
        async with httpx.AsyncClient(transport=transport) as http:
            return await http.get(f"https://localhost:{httpd.server_address[1]}/x")

    try:
        if verified:
            assert asyncio.run(main()).json() == {"path": "/x", "host": f"localhost:{httpd.server_address[1]}"}
        else:
            with pytest.raises(httpx.ConnectError, match=r"CERTIFICATE_VERIFY_FAILED"):
                asyncio.run(main())
    finally:
        httpd.shutdown()


def test_the_saas_tasks_client_goes_through_the_guard(first: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """The client of the Fivetran, Airbyte, dbt Cloud, Hightouch and Airflow tasks, whose API address a flow gives
    (`baseUrl`, `url`): the server's own loopback API is refused unless the operator allowed it, and nothing is sent."""
    from legato.plugins.apiclient import ApiClient

    monkeypatch.delenv("LEGATO_HTTP_ALLOWED_NETWORKS", raising=False)
    api = ApiClient("Fivetran", first.url, max_retries=1)
    with pytest.raises(TaskFailed, match=r"refusing to connect to 127\.0\.0\.1"):
        asyncio.run(api.call("GET", "/api/v1/main/flows/search"))
    assert first.seen == []
    monkeypatch.setenv("LEGATO_HTTP_ALLOWED_NETWORKS", "127.0.0.1/32")
    assert asyncio.run(api.call("GET", "/echo"))["path"] == "/echo"
