"""A test double of a ServiceNow instance's Table API and OAuth token endpoint (no ServiceNow runs here), over an
in-memory set of tables, with the shapes of ServiceNow's public REST API reference ("Table API"; "OAuth: password
grant"):

- GET /api/now/table/{table}?sysparm_query=&sysparm_fields=&sysparm_limit=&sysparm_offset= answers 200
  `{"result": [rows]}`; the encoded query's `field=value` terms joined by `^` (AND) are understood; fields limit
  each row to those keys.
- POST /api/now/table/{table} with a JSON row answers 201 `{"result": row}`, the row given a 32-hex `sys_id`.
- PUT /api/now/table/{table}/{sys_id} answers 200 `{"result": row}` updated; an unknown sys_id 404
  `{"error": {"message": "No Record found", "detail": "Record doesn't exist or ACL restricts the record retrieval"},
  "status": "failure"}`.
- DELETE /api/now/table/{table}/{sys_id} answers 204, no body (404 as above when unknown).
- POST /oauth_token.do (form: grant_type=password, client_id, client_secret, username, password) answers 200
  `{"access_token": "...", "refresh_token": "...", "scope": "useraccount", "token_type": "Bearer", "expires_in":
  1799}`; wrong credentials 401 `{"error_description": "access_denied", "error": "server_error"}`.
- Every Table API call needs HTTP basic `admin`/`secret`, or the bearer token handed out: else 401
  `{"error": {"message": "User Not Authenticated", "detail": "Required to provide Auth information"}, "status":
  "failure"}`."""

from __future__ import annotations

import base64
import itertools
from typing import Any
from urllib.parse import parse_qs

from tests.api_double import ApiDouble, Reply, Request

USER, PASSWORD, CLIENT_ID, CLIENT_SECRET = "admin", "secret", "kestra-client", "client-secret"
TOKEN = "sn-access-token-1"
_MISSING = {"error": {"message": "No Record found",
                      "detail": "Record doesn't exist or ACL restricts the record retrieval"}, "status": "failure"}


class ServiceNowDouble(ApiDouble):
    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, dict[str, dict[str, Any]]] = {}
        self._ids = itertools.count(1)
        self.route("POST", r"/oauth_token\.do", self._token)
        self.route("GET", r"/api/now/table/(?P<table>[^/]+)", self._list)
        self.route("POST", r"/api/now/table/(?P<table>[^/]+)", self._insert)
        self.route("PUT", r"/api/now/table/(?P<table>[^/]+)/(?P<sys_id>[^/]+)", self._update)
        self.route("DELETE", r"/api/now/table/(?P<table>[^/]+)/(?P<sys_id>[^/]+)", self._delete)

    def authorized(self, request: Request) -> bool:
        if request.path == "/oauth_token.do":
            return True
        basic = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        return request.headers.get("authorization") in (basic, f"Bearer {TOKEN}")

    def dispatch(self, request: Request) -> Reply:
        reply = super().dispatch(request)
        if reply.status == 401 and request.path != "/oauth_token.do":
            return Reply(401, {"error": {"message": "User Not Authenticated",
                                         "detail": "Required to provide Auth information"}, "status": "failure"})
        return reply

    def _token(self, request: Request) -> Reply:
        form = {k: v[0] for k, v in parse_qs(request.raw.decode()).items()}
        if form != {"grant_type": "password", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                    "username": USER, "password": PASSWORD}:
            return Reply(401, {"error_description": "access_denied", "error": "server_error"})
        return Reply(200, {"access_token": TOKEN, "refresh_token": "r", "scope": "useraccount", "token_type": "Bearer",
                           "expires_in": 1799})

    def add(self, table: str, row: dict[str, Any]) -> str:
        sys_id = f"{next(self._ids):032x}"
        self.tables.setdefault(table, {})[sys_id] = {**{k: str(v) for k, v in row.items()}, "sys_id": sys_id}
        return sys_id

    def _list(self, request: Request, table: str) -> Reply:
        rows = list(self.tables.get(table, {}).values())
        query = (request.query.get("sysparm_query") or [""])[0]
        for term in filter(None, query.split("^")):
            name, _, value = term.partition("=")
            rows = [r for r in rows if r.get(name) == value]
        offset = int((request.query.get("sysparm_offset") or ["0"])[0])
        limit = int((request.query.get("sysparm_limit") or ["10000"])[0])
        rows = rows[offset:offset + limit]
        fields = (request.query.get("sysparm_fields") or [""])[0]
        if fields:
            rows = [{k: r[k] for k in fields.split(",") if k in r} for r in rows]
        return Reply(200, {"result": rows})

    def _insert(self, request: Request, table: str) -> Reply:
        sys_id = self.add(table, request.body)
        return Reply(201, {"result": self.tables[table][sys_id]})

    def _update(self, request: Request, table: str, sys_id: str) -> Reply:
        row = self.tables.get(table, {}).get(sys_id)
        if row is None:
            return Reply(404, _MISSING)
        row.update({k: str(v) for k, v in request.body.items()})
        return Reply(200, {"result": row})

    def _delete(self, request: Request, table: str, sys_id: str) -> Reply:
        if self.tables.get(table, {}).pop(sys_id, None) is None:
            return Reply(404, _MISSING)
        return Reply(204)
