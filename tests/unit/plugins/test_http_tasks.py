"""http.Request and http.Download against a real HTTP server on 127.0.0.1, with the SSRF guard opened for
127.0.0.1 only where a test says so."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import tracemalloc
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from legato.plugins.context import TaskFailed
from legato.storage import LocalStorage
from tests.unit.plugins.conftest import Harness

REALM, NONCE = "legato-test", "dcd98b7102dd2f0e8b11d0f600bfb0c093"
_CHUNK, _BIG_CHUNKS = b"x" * (1 << 20), 48  # /big: 48 MB, more than http.Request keeps


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # the digest scheme's own algorithm


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/digest":
            self._digest()
        elif self.path == "/file.csv":
            self._answer(200, b"a,b\n1,2\n", "text/csv")
        elif self.path == "/export":
            self.send_response(200)
            self.send_header("Content-Disposition", "attachment; filename=\"../../report 2026.csv\"")
            self.send_header("Content-Length", "4")
            self.end_headers()
            self.wfile.write(b"x,y\n")
        elif self.path == "/big":
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(_BIG_CHUNKS * len(_CHUNK)))
            self.end_headers()
            for _ in range(_BIG_CHUNKS):
                self.wfile.write(_CHUNK)
        elif self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:1/elsewhere")
            self.end_headers()
        elif self.path == "/slow":
            threading.Event().wait(2)
            self._answer(200, b"late", "text/plain")
        else:
            self._echo()

    def do_POST(self) -> None:
        self._echo()

    def _echo(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        status = 404 if self.path == "/missing" else 201 if self.command == "POST" else 200
        payload = {"method": self.command, "path": self.path, "body": body,
                   "auth": self.headers.get("Authorization"), "type": self.headers.get("Content-Type"),
                   "custom": self.headers.get("X-Custom")}
        self._answer(status, json.dumps(payload).encode(), "application/json")

    def _digest(self) -> None:
        """RFC 7616 digest (MD5, qop=auth) for user ada, password s3cret: a challenge, then the check."""
        header = self.headers.get("Authorization") or ""
        if not header.startswith("Digest "):
            self.send_response(401)
            self.send_header("WWW-Authenticate", f'Digest realm="{REALM}", nonce="{NONCE}", qop="auth", algorithm=MD5')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        fields = dict(re.findall(r'(\w+)="?([^",]+)"?', header[len("Digest "):]))
        ha1 = _md5(f"ada:{REALM}:s3cret")
        ha2 = _md5(f"GET:{fields['uri']}")
        expected = _md5(f"{ha1}:{NONCE}:{fields['nc']}:{fields['cnonce']}:{fields['qop']}:{ha2}")
        ok = fields.get("username") == "ada" and fields.get("response") == expected
        self._answer(200 if ok else 403, b"digest ok" if ok else b"bad digest", "text/plain")

    def _answer(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGATO_HTTP_ALLOWED_NETWORKS", "127.0.0.1/32")


def request(harness: Harness, source: str, **kwargs: Any) -> dict[str, Any]:
    return harness.run(source, harness.context(**kwargs))


def test_the_guard_blocks_loopback_unless_configured(harness: Harness, server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEGATO_HTTP_ALLOWED_NETWORKS", raising=False)
    for url in (f"{server}/x", "http://localhost:9/x", "http://169.254.169.254/latest/meta-data", "http://[::1]:9/", "http://10.1.2.3/"):
        with pytest.raises(TaskFailed, match="private, loopback or otherwise internal"):
            request(harness, f"id: r\ntype: io.kestra.plugin.core.http.Request\nuri: {url}\n")


@pytest.mark.usefixtures("opened")
def test_post_json_with_headers_and_bearer_auth(harness: Harness, server: str) -> None:
    out = request(harness, f"""
id: r
type: io.kestra.plugin.core.http.Request
uri: {server}/orders
method: POST
contentType: application/json
headers:
  X-Custom: "{{{{ inputs.name }}}}"
body: '{{"item": "{{{{ inputs.name }}}}"}}'
auth:
  type: BEARER
  token: abc
""", inputs={"name": "tea"})
    assert out["code"] == 201
    answer = json.loads(out["body"])
    assert answer == {"method": "POST", "path": "/orders", "body": '{"item": "tea"}', "auth": "Bearer abc",
                      "type": "application/json", "custom": "tea"}
    assert out["headers"]["Content-Type"] == ["application/json"]


@pytest.mark.usefixtures("opened")
def test_form_data_and_basic_auth(harness: Harness, server: str) -> None:
    out = request(harness, f"""
id: r
type: http.Request
uri: {server}/form
method: POST
formData: {{a: "1", b: two words}}
auth: {{type: BASIC, username: ada, password: "s3cret"}}
""")
    answer = json.loads(out["body"])
    assert answer["body"] == "a=1&b=two+words" and answer["type"] == "application/x-www-form-urlencoded"
    assert answer["auth"] == "Basic " + base64.b64encode(b"ada:s3cret").decode()


@pytest.mark.usefixtures("opened")
def test_status_codes(harness: Harness, server: str) -> None:
    with pytest.raises(TaskFailed, match="answered 404"):
        request(harness, f"id: r\ntype: http.Request\nuri: {server}/missing\n")
    assert request(harness, f"id: r\ntype: http.Request\nuri: {server}/missing\noptions: {{allowedResponseCodes: [404]}}\n")["code"] == 404
    assert request(harness, f"id: r\ntype: http.Request\nuri: {server}/missing\nallowFailed: true\n")["code"] == 404
    with pytest.raises(TaskFailed, match="answered 200"):
        request(harness, f"id: r\ntype: http.Request\nuri: {server}/ok\noptions: {{allowedResponseCodes: [201]}}\n")


@pytest.mark.usefixtures("opened")
def test_a_redirect_is_checked_by_the_guard_too(harness: Harness, server: str) -> None:
    out = request(harness, f"id: r\ntype: http.Request\nuri: {server}/redirect\noptions: {{followRedirects: false}}\n")
    assert out["code"] == 302
    with pytest.raises(TaskFailed, match=r"failed|refused"):
        request(harness, f"id: r\ntype: http.Request\nuri: {server}/redirect\n")  # port 1 refuses


@pytest.mark.usefixtures("opened")
def test_read_timeout(harness: Harness, server: str) -> None:
    with pytest.raises(TaskFailed, match="timed out"):
        request(harness, f"id: r\ntype: http.Request\nuri: {server}/slow\noptions: {{readTimeout: PT0.3S}}\n")


def test_only_http_urls(harness: Harness) -> None:
    with pytest.raises(TaskFailed, match="http:// or https://"):
        request(harness, "id: r\ntype: http.Request\nuri: file:///etc/passwd\n")


@pytest.mark.usefixtures("opened")
def test_download_stores_the_file(harness: Harness, server: str, storage: LocalStorage) -> None:
    out = request(harness, f"id: dl\ntype: io.kestra.plugin.core.http.Download\nuri: {server}/file.csv\n", storage=storage, task_id="dl")
    assert out["code"] == 200 and out["length"] == 8
    assert out["uri"].endswith("/tasks/dl/" + out["uri"].split("/")[-2] + "/file.csv")
    assert storage.get(out["uri"]) == b"a,b\n1,2\n"


@pytest.mark.usefixtures("opened")
def test_download_names_the_file_by_save_as_then_content_disposition(harness: Harness, server: str,
                                                                     storage: LocalStorage) -> None:
    named = request(harness, f"id: dl\ntype: http.Download\nuri: {server}/file.csv\nsaveAs: orders.csv\n", storage=storage,
                    task_id="dl")
    assert named["uri"].endswith("/orders.csv") and storage.get(named["uri"]) == b"a,b\n1,2\n"
    # the server's name, its path parts dropped (no way out of the task's folder)
    given = request(harness, f"id: dl\ntype: http.Download\nuri: {server}/export\n", storage=storage, task_id="dl")
    assert given["uri"].endswith("/report%202026.csv")  # the URI escapes the space
    assert request(harness, f"id: dl\ntype: http.Download\nuri: {server}/export\nsaveAs: mine.csv\n", storage=storage,
                   task_id="dl")["uri"].endswith("/mine.csv")


@pytest.mark.usefixtures("opened")
def test_download_streams_a_large_answer_to_storage(harness: Harness, server: str, storage: LocalStorage) -> None:
    tracemalloc.start()
    try:
        out = request(harness, f"id: dl\ntype: http.Download\nuri: {server}/big\n", storage=storage, task_id="dl")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert out["length"] == _BIG_CHUNKS << 20 and out["uri"].endswith("/big")
    assert peak < 16 << 20, f"the download held {peak >> 20} MB at once"  # chunks of 1 MB, never the whole body
    with pytest.raises(TaskFailed, match=r"larger than 10 MB: use io\.kestra\.plugin\.core\.http\.Download"):
        request(harness, f"id: r\ntype: http.Request\nuri: {server}/big\n")


@pytest.mark.usefixtures("opened")
def test_a_multipart_form_sends_files_of_internal_storage(harness: Harness, server: str, storage: LocalStorage) -> None:
    execution = harness.execution()  # the form sends a file its own execution stored
    stored = request(harness, f"id: dl\ntype: http.Download\nuri: {server}/file.csv\n", storage=storage, task_id="dl",
                     execution=execution)["uri"]
    out = request(harness, f"""
id: r
type: io.kestra.plugin.core.http.Request
uri: {server}/upload
method: POST
contentType: multipart/form-data
formData:
  file: "{stored}"
  renamed: {{name: orders.csv, content: "{stored}"}}
  note: "{{{{ inputs.note }}}}"
  size: 3
""", storage=storage, inputs={"note": "hi"}, execution=execution)
    answer = json.loads(out["body"])
    assert answer["type"].startswith("multipart/form-data; boundary=")
    body = answer["body"].replace("\r\n", "\n")
    assert 'name="file"; filename="file.csv"' in body and 'name="renamed"; filename="orders.csv"' in body
    assert body.count("a,b\n1,2\n") == 2
    assert 'name="note"\n\nhi\n' in body and 'name="size"\n\n3\n' in body


@pytest.mark.usefixtures("opened")
def test_options_auth_basic_bearer_and_digest_as_kestra_writes_them(harness: Harness, server: str) -> None:
    basic = request(harness, f"id: r\ntype: io.kestra.plugin.core.http.Request\nuri: {server}/x\n"
                             "options:\n  auth: {type: BASIC, username: ada, password: s3cret}\n")
    assert json.loads(basic["body"])["auth"] == "Basic " + base64.b64encode(b"ada:s3cret").decode()
    bearer = request(harness, f"id: r\ntype: io.kestra.plugin.core.http.Request\nuri: {server}/x\n"
                              "options:\n  auth: {type: BEARER, token: \"{{ inputs.t }}\"}\n", inputs={"t": "tok"})
    assert json.loads(bearer["body"])["auth"] == "Bearer tok"
    digest = request(harness, f"id: r\ntype: io.kestra.plugin.core.http.Request\nuri: {server}/digest\n"
                              "options:\n  auth: {type: DIGEST, username: ada, password: s3cret}\n")
    assert (digest["code"], digest["body"]) == (200, "digest ok")
    with pytest.raises(TaskFailed, match="answered 403"):
        request(harness, f"id: r\ntype: io.kestra.plugin.core.http.Request\nuri: {server}/digest\n"
                         "options:\n  auth: {type: DIGEST, username: ada, password: wrong}\n")


@pytest.mark.usefixtures("opened")
def test_deprecated_idle_timeouts_are_accepted_with_a_warning(harness: Harness, server: str) -> None:
    ctx = harness.context()
    out = harness.run(f"id: r\ntype: io.kestra.plugin.core.http.Request\nuri: {server}/x\n"
                      "options:\n  readTimeout: PT30S\n  readIdleTimeout: PT10M\n  connectionPoolIdleTimeout: PT10S\n", ctx)
    assert out["code"] == 200
    warnings = [m for level, m in harness.messages(ctx) if level == "WARN"]
    assert any("readIdleTimeout is deprecated" in m for m in warnings)
    assert any("connectionPoolIdleTimeout is deprecated" in m for m in warnings)
