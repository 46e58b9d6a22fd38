"""A test double of HashiCorp Vault's HTTP API (Vault itself cannot be installed here: no PyPI or Debian
package ships a server), speaking the documented shapes of the parts Legato uses, so the real `hvac` client
is tested against it:

- token authentication: the `X-Vault-Token` header, 403 `{"errors": ["permission denied"]}` without a valid one;
- AppRole: `POST /v1/auth/<mount>/login` with `role_id` and `secret_id` → `{"auth": {"client_token": ...}}`;
- KV version 2 under a mount: `GET|POST /v1/<mount>/data/<path>` (read the latest version / write a new one,
  `{"data": {...}}` in, `{"data": {"data": ..., "metadata": {...}}}` out), `LIST /v1/<mount>/metadata/<path>`
  (or `GET ...?list=true`: `{"data": {"keys": [...]}}`, folders suffixed with `/`), and
  `DELETE /v1/<mount>/metadata/<path>` (every version), 404 `{"errors": []}` for a path with no secret.

Tokens can be made to expire (`expire_tokens`), as a Vault token's TTL would, to test re-authentication.
"""

from __future__ import annotations

import json
import secrets
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


class VaultDouble:
    """The double's state and its HTTP server on 127.0.0.1 (a free port)."""

    def __init__(self, *, root_token: str = "root-token", mount: str = "secret",
                 approles: dict[str, str] | None = None, approle_mount: str = "approle"):
        self.mount = mount
        self.approle_mount = approle_mount
        self.approles = dict(approles or {})  # role_id -> secret_id
        self.tokens = {root_token}
        self.entries: dict[str, list[dict[str, Any]]] = {}  # path -> versions (each: data, created_time)
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request, for the tests
        self.logins = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, name="vault-double", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> VaultDouble:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def expire_tokens(self, keep: str | None = None) -> None:
        """Every token but `keep` stops being valid (their TTL ran out)."""
        with self._lock:
            self.tokens = {keep} if keep else set()

    # the API ---------------------------------------------------------------------------------------------
    def answer(self, method: str, path: str, query: dict[str, list[str]], token: str | None,
               body: Any) -> tuple[int, Any]:
        with self._lock:
            self.requests.append((method, path))
            if method == "POST" and path == f"/v1/auth/{self.approle_mount}/login":
                return self._login(body)
            if token not in self.tokens:
                return 403, {"errors": ["permission denied"]}
            data_prefix, meta_prefix = f"/v1/{self.mount}/data/", f"/v1/{self.mount}/metadata/"
            if path.startswith(data_prefix) and method == "GET":
                return self._read(path[len(data_prefix):])
            if path.startswith(data_prefix) and method in ("POST", "PUT"):
                return self._write(path[len(data_prefix):], body)
            if path.startswith(meta_prefix) and (method == "LIST" or (method == "GET" and query.get("list") == ["true"])):
                return self._list(path[len(meta_prefix):])
            if path.startswith(meta_prefix) and method == "DELETE":
                self.entries.pop(path[len(meta_prefix):].strip("/"), None)  # Vault answers 204 either way
                return 204, None
            return 404, {"errors": [f"no handler for route \"{path}\""]}

    def _login(self, body: Any) -> tuple[int, Any]:
        role_id, secret_id = (body or {}).get("role_id"), (body or {}).get("secret_id")
        if role_id not in self.approles or self.approles[role_id] != secret_id:
            return 400, {"errors": ["invalid role or secret ID"]}
        token = "hvs." + secrets.token_urlsafe(18)
        self.tokens.add(token)
        self.logins += 1
        return 200, {"request_id": secrets.token_hex(8), "lease_id": "", "renewable": False, "lease_duration": 0,
                     "data": None, "wrap_info": None, "warnings": None,
                     "auth": {"client_token": token, "accessor": secrets.token_hex(8), "policies": ["default"],
                              "token_policies": ["default"], "metadata": {"role_name": "legato"},
                              "lease_duration": 3600, "renewable": True, "entity_id": "", "token_type": "service",
                              "orphan": True}}

    def _read(self, path: str) -> tuple[int, Any]:
        versions = self.entries.get(path.strip("/"))
        if not versions:
            return 404, {"errors": []}
        latest = versions[-1]
        return 200, _envelope({"data": latest["data"], "metadata": _metadata(latest, len(versions))})

    def _write(self, path: str, body: Any) -> tuple[int, Any]:
        data = (body or {}).get("data")
        if not isinstance(data, dict):
            return 400, {"errors": ["no data provided"]}
        versions = self.entries.setdefault(path.strip("/"), [])
        versions.append({"data": data, "created_time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f000Z")})
        return 200, _envelope(_metadata(versions[-1], len(versions)))

    def _list(self, path: str) -> tuple[int, Any]:
        prefix = path.strip("/") + "/" if path.strip("/") else ""
        keys = set()
        for name in self.entries:
            if name.startswith(prefix):
                rest = name[len(prefix):]
                keys.add(rest.split("/", 1)[0] + "/" if "/" in rest else rest)
        if not keys:
            return 404, {"errors": []}
        return 200, _envelope({"keys": sorted(keys)})

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        double = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                url = urlsplit(self.path)
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                status, payload = double.answer(self.command, url.path, parse_qs(url.query),
                                                self.headers.get("X-Vault-Token"), body)
                data = b"" if payload is None else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_LIST = _serve

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler


def _envelope(data: Any) -> dict[str, Any]:
    return {"request_id": secrets.token_hex(8), "lease_id": "", "renewable": False, "lease_duration": 0,
            "data": data, "wrap_info": None, "warnings": None, "auth": None}


def _metadata(version: dict[str, Any], number: int) -> dict[str, Any]:
    return {"created_time": version["created_time"], "custom_metadata": None, "deletion_time": "",
            "destroyed": False, "version": number}
