"""A test double of Google's OAuth token endpoint and of the Sheets v4 and Drive v3 REST APIs (none can run here),
with the shapes of developers.google.com/sheets/api/reference/rest and developers.google.com/drive/api/reference/rest/v3:

- POST /token: the JWT-bearer grant a service account makes (RFC 7523; `assertion` signed RS256 by the key whose
  public half `public_key` holds, audience Google's token endpoint) → `{access_token, expires_in, token_type}`; every other
  call needs `Authorization: Bearer <that token>` (401 otherwise);
- GET /v4/spreadsheets/{id} → `{spreadsheetId, properties: {title}, sheets: [{properties: {sheetId, title, index,
  gridProperties: {rowCount, columnCount}}}], spreadsheetUrl}` (404 NOT_FOUND error otherwise);
- POST /v4/spreadsheets `{properties: {title}}` → a new spreadsheet with one sheet, "Sheet1";
- GET /v4/spreadsheets/{id}/values/{range} and /values:batchGet?ranges=... → `{range, majorDimension: ROWS, values}`
  (trailing empty rows and cells left out, `values` absent when empty; FORMATTED_VALUE gives text);
- PUT /values/{range}?valueInputOption=RAW `{values}` → `{spreadsheetId, updatedRange, updatedRows, updatedColumns,
  updatedCells}`; POST /values/{range}:append → `{spreadsheetId, tableRange, updates: {...}}`; POST
  /values/{range}:clear → `{spreadsheetId, clearedRange}`;
- GET /drive/v3/files/{id}/revisions → `{revisions: [{id, modifiedTime, lastModifyingUser: {displayName}}]}`;
- DELETE /drive/v3/files/{id} → 204.

Ranges in A1 (`Sheet1!A1:C`, `A:C`, a sheet title alone) and R1C1 (`Sheet1!R1C1:R10C3`) notation."""

from __future__ import annotations

import itertools
import json
import re
from typing import Any
from urllib.parse import parse_qs, unquote

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from tests.api_double import ApiDouble, Reply, Request

# google-auth signs every service account grant for Google's token endpoint, whatever the key's token_uri
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
_CELL = re.compile(r"^(?:R(\d+)C(\d+)|([A-Z]*)(\d*))$")


def _column(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _letters(index: int) -> str:
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def _not_found() -> Reply:
    return Reply(404, {"error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}})


def service_account(token_uri: str) -> tuple[str, Any]:
    """A service account key's JSON text (a fresh RSA key) and its public key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    info = {"type": "service_account", "project_id": "test-project", "private_key_id": "k1", "private_key": pem,
            "client_email": "flows@test-project.iam.gserviceaccount.com", "client_id": "1", "token_uri": token_uri}
    return json.dumps(info), key.public_key()


class SheetsDouble(ApiDouble):
    def __init__(self) -> None:
        super().__init__()
        self.public_key: Any = None
        self.tokens: dict[str, list[str]] = {}  # token -> the scopes it was granted
        self.spreadsheets: dict[str, dict[str, Any]] = {}
        self.revisions: dict[str, list[dict[str, Any]]] = {}  # Drive revisions by file id
        self.ids = itertools.count(1)
        self.route("POST", r"/token", self._token)
        self.route("POST", r"/v4/spreadsheets", self._create)
        self.route("GET", r"/v4/spreadsheets/(?P<sid>[^/]+)/values:batchGet", self._batch_get)
        self.route("GET", r"/v4/spreadsheets/(?P<sid>[^/]+)/values/(?P<a1>[^/]+)", self._get_values)
        self.route("PUT", r"/v4/spreadsheets/(?P<sid>[^/]+)/values/(?P<a1>[^/]+)", self._update)
        self.route("POST", r"/v4/spreadsheets/(?P<sid>[^/]+)/values/(?P<a1>[^/]+)", self._append_or_clear)
        self.route("GET", r"/v4/spreadsheets/(?P<sid>[^/]+)", self._get)
        self.route("GET", r"/drive/v3/files/(?P<sid>[^/]+)/revisions", self._revisions)
        self.route("DELETE", r"/drive/v3/files/(?P<sid>[^/]+)", self._delete)

    def authorized(self, request: Request) -> bool:
        if request.path == "/token":
            return True
        auth = request.headers.get("authorization", "")
        return auth.startswith("Bearer ") and auth[7:] in self.tokens

    def add(self, title: str, sheets: dict[str, list[list[Any]]]) -> str:
        sid = f"sheet{next(self.ids)}"
        self.spreadsheets[sid] = {"title": title, "sheets": [{"title": t, "rows": [list(r) for r in rows]} for t, rows in sheets.items()]}
        return sid

    # auth ------------------------------------------------------------------------------------------------
    def _token(self, request: Request) -> Reply:
        form = parse_qs(request.raw.decode())
        assert form["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"], form
        try:
            claims = jwt.decode(form["assertion"][0], self.public_key, algorithms=["RS256"], audience=GOOGLE_TOKEN_AUDIENCE)
        except jwt.InvalidTokenError as exc:
            return Reply(400, {"error": "invalid_grant", "error_description": str(exc)})
        token = f"ya29.token{next(self.ids)}"
        self.tokens[token] = claims.get("scope", "").split()
        return Reply(200, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"})

    # spreadsheets ----------------------------------------------------------------------------------------
    def _resource(self, sid: str) -> dict[str, Any]:
        book = self.spreadsheets[sid]
        sheets = [{"properties": {"sheetId": i, "title": s["title"], "index": i, "gridProperties": {
            "rowCount": max(1000, len(s["rows"])), "columnCount": max(26, *(len(r) for r in s["rows"]), 0)}}}
            for i, s in enumerate(book["sheets"])]
        return {"spreadsheetId": sid, "properties": {"title": book["title"]}, "sheets": sheets,
                "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{sid}/edit"}

    def _get(self, request: Request, sid: str) -> Reply:
        return Reply(200, self._resource(sid)) if sid in self.spreadsheets else _not_found()

    def _create(self, request: Request) -> Reply:
        sid = self.add(request.body["properties"]["title"], {"Sheet1": []})
        return Reply(200, self._resource(sid))

    def _revisions(self, request: Request, sid: str) -> Reply:
        if sid not in self.spreadsheets:
            return _not_found()
        return Reply(200, {"revisions": self.revisions.get(sid, [])})

    def _delete(self, request: Request, sid: str) -> Reply:
        if self.spreadsheets.pop(sid, None) is None:
            return _not_found()
        return Reply(204, b"")

    # values ----------------------------------------------------------------------------------------------
    def _locate(self, sid: str, a1: str) -> tuple[dict[str, Any], int, int, int | None, int | None]:
        """The sheet and the 0-based (first row, first column, last row, last column) of a range; None: open."""
        sheets = self.spreadsheets[sid]["sheets"]
        title, bang, cells = a1.rpartition("!")
        if not bang:
            named = [s for s in sheets if s["title"] == a1.strip("'")]
            if named:
                return named[0], 0, 0, None, None
            title, cells = sheets[0]["title"], a1
        sheet = next(s for s in sheets if s["title"] == title.strip("'"))
        if not cells:
            return sheet, 0, 0, None, None
        start, _, end = cells.partition(":")

        def point(text: str) -> tuple[int | None, int | None]:
            found = _CELL.match(text)
            assert found, text
            if found.group(1):
                return int(found.group(1)) - 1, int(found.group(2)) - 1
            return (int(found.group(4)) - 1 if found.group(4) else None, _column(found.group(3)) if found.group(3) else None)

        r0, c0 = point(start)
        r1, c1 = point(end) if end else (r0, c0)
        return sheet, r0 or 0, c0 or 0, r1, c1

    def read(self, sid: str, a1: str, render: str) -> dict[str, Any]:
        sheet, r0, c0, r1, c1 = self._locate(sid, a1)
        rows = [row[c0:None if c1 is None else c1 + 1] for row in sheet["rows"][r0:None if r1 is None else r1 + 1]]
        rows = [[("" if v is None else str(v)) if render == "FORMATTED_VALUE" else ("" if v is None else v) for v in row] for row in rows]
        rows = [row[:max((i + 1 for i, v in enumerate(row) if v != ""), default=0)] for row in rows]
        while rows and not rows[-1]:
            rows.pop()
        width = max((len(r) for r in rows), default=1)
        shown = f"{sheet['title']}!{_letters(c0)}{r0 + 1}:{_letters(c0 + width - 1)}{r0 + max(len(rows), 1)}"
        answer: dict[str, Any] = {"range": shown, "majorDimension": "ROWS"}
        if rows:
            answer["values"] = rows
        return answer

    def _get_values(self, request: Request, sid: str, a1: str) -> Reply:
        if sid not in self.spreadsheets:
            return _not_found()
        render = request.query.get("valueRenderOption", ["FORMATTED_VALUE"])[0]
        return Reply(200, self.read(sid, unquote(a1), render))

    def _batch_get(self, request: Request, sid: str) -> Reply:
        if sid not in self.spreadsheets:
            return _not_found()
        render = request.query.get("valueRenderOption", ["FORMATTED_VALUE"])[0]
        return Reply(200, {"spreadsheetId": sid, "valueRanges": [self.read(sid, r, render) for r in request.query.get("ranges", [])]})

    def _write(self, sid: str, sheet: dict[str, Any], r0: int, c0: int, values: list[list[Any]]) -> dict[str, Any]:
        rows = sheet["rows"]
        for i, row in enumerate(values):
            while len(rows) <= r0 + i:
                rows.append([])
            target = rows[r0 + i]
            while len(target) < c0 + len(row):
                target.append(None)
            target[c0:c0 + len(row)] = row
        width = max((len(r) for r in values), default=0)
        return {"spreadsheetId": sid, "updatedRange": f"{sheet['title']}!{_letters(c0)}{r0 + 1}:{_letters(c0 + max(width, 1) - 1)}{r0 + max(len(values), 1)}",
                "updatedRows": len(values), "updatedColumns": width, "updatedCells": sum(len(r) for r in values)}

    def _update(self, request: Request, sid: str, a1: str) -> Reply:
        if sid not in self.spreadsheets:
            return _not_found()
        assert request.query.get("valueInputOption") == ["RAW"]
        sheet, r0, c0, _, _ = self._locate(sid, unquote(a1))
        return Reply(200, self._write(sid, sheet, r0, c0, request.body.get("values", [])))

    def _append_or_clear(self, request: Request, sid: str, a1: str) -> Reply:
        if sid not in self.spreadsheets:
            return _not_found()
        a1 = unquote(a1)
        if a1.endswith(":clear"):
            sheet, r0, c0, r1, c1 = self._locate(sid, a1[: -len(":clear")])
            for row in sheet["rows"][r0:None if r1 is None else r1 + 1]:
                row[c0:None if c1 is None else c1 + 1] = [None] * len(row[c0:None if c1 is None else c1 + 1])
            return Reply(200, {"spreadsheetId": sid, "clearedRange": a1[: -len(":clear")]})
        assert a1.endswith(":append") and request.query.get("insertDataOption") == ["INSERT_ROWS"]
        sheet, _, c0, _, _ = self._locate(sid, a1[: -len(":append")])
        last = max((i + 1 for i, r in enumerate(sheet["rows"]) if any(v not in (None, "") for v in r)), default=0)
        updates = self._write(sid, sheet, last, c0, request.body.get("values", []))
        return Reply(200, {"spreadsheetId": sid, "tableRange": f"{sheet['title']}!A1", "updates": updates})
