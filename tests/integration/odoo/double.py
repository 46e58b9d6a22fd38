"""A test double of Odoo's external API (odoo.com/documentation, "External API"): a real XML-RPC server (the standard
library's) on 127.0.0.1 with the two endpoints Odoo serves, over in-memory models:

- /xmlrpc/2/common `authenticate(db, login, password, {})` → the user's id, or False;
- /xmlrpc/2/object `execute_kw(db, uid, password, model, method, args, kwargs)` for `search_read`, `read`, `search`,
  `search_count` (domains of [field, operator, value] with =, !=, ilike, in, <, <=, >, >=, AND-ed), `create`,
  `write` and `unlink`; `limit`/`offset`/`fields` as keyword arguments. A wrong uid/password or an unknown model is a
  Fault, as Odoo answers (`odoo.exceptions.AccessDenied`, `KeyError: 'x.y'`)."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from xmlrpc.server import SimpleXMLRPCDispatcher, SimpleXMLRPCRequestHandler, SimpleXMLRPCServer

DB, LOGIN, PASSWORD, UID = "acme", "admin", "admin-key", 2


class _MultiPath(SimpleXMLRPCServer):
    """One server, one dispatcher per path (Odoo's /xmlrpc/2/common and /xmlrpc/2/object)."""

    def __init__(self, paths: dict[str, SimpleXMLRPCDispatcher]) -> None:
        self.paths = paths
        super().__init__(("127.0.0.1", 0), requestHandler=_Handler, logRequests=False, allow_none=True)


class _Handler(SimpleXMLRPCRequestHandler):
    rpc_paths = ("/xmlrpc/2/common", "/xmlrpc/2/object")

    def do_POST(self) -> None:
        server: _MultiPath = self.server  # type: ignore[assignment]
        dispatcher = server.paths.get(self.path)
        if dispatcher is None:
            self.report_404()
            return
        length = int(self.headers["content-length"])
        data = self.rfile.read(length)
        response = dispatcher._marshaled_dispatch(data)
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(response)))
        self.end_headers()
        self.wfile.write(response)


_OPS = {
    "=": lambda have, value: have == value, "!=": lambda have, value: have != value,
    "in": lambda have, value: have in value, "ilike": lambda have, value: str(value).lower() in str(have or "").lower(),
    "<": lambda have, value: have is not None and have < value, "<=": lambda have, value: have is not None and have <= value,
    ">": lambda have, value: have is not None and have > value, ">=": lambda have, value: have is not None and have >= value,
}


def _matches(record: dict[str, Any], domain: list[Any]) -> bool:
    return all(_OPS[op](record.get(field), value) for field, op, value in domain)


class OdooDouble:
    def __init__(self) -> None:
        self.models: dict[str, dict[int, dict[str, Any]]] = {"res.partner": {}, "crm.lead": {}}
        self.ids = itertools.count(1)
        self.calls: list[tuple[str, str, list[Any], dict[str, Any]]] = []
        common, objects = SimpleXMLRPCDispatcher(allow_none=True), SimpleXMLRPCDispatcher(allow_none=True)
        common.register_function(self.authenticate, "authenticate")
        objects.register_function(self.execute_kw, "execute_kw")
        self._server = _MultiPath({"/xmlrpc/2/common": common, "/xmlrpc/2/object": objects})
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    @contextmanager
    def serve(self) -> Iterator[str]:
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self.url
        finally:
            self._server.shutdown()
            self._server.server_close()

    def add(self, model: str, **fields: Any) -> int:
        record_id = next(self.ids)
        self.models[model][record_id] = {"id": record_id, **fields}
        return record_id

    def authenticate(self, db: str, login: str, password: str, _env: dict[str, Any]) -> int | bool:
        return UID if (db, login, password) == (DB, LOGIN, PASSWORD) else False

    def execute_kw(self, db: str, uid: int, password: str, model: str, method: str, args: list[Any],
                   kwargs: dict[str, Any] | None = None) -> Any:
        if (db, uid, password) != (DB, UID, PASSWORD):
            raise PermissionError("odoo.exceptions.AccessDenied: Access Denied")
        if model not in self.models:
            raise KeyError(model)
        kwargs = kwargs or {}
        self.calls.append((model, method, args, kwargs))
        table = self.models[model]

        def project(record: dict[str, Any]) -> dict[str, Any]:
            fields = kwargs.get("fields")
            return {k: v for k, v in record.items() if not fields or k in fields or k == "id"}

        def search() -> list[dict[str, Any]]:
            found = [r for r in table.values() if _matches(r, args[0])]
            start = kwargs.get("offset", 0)
            return found[start:start + kwargs["limit"]] if kwargs.get("limit") else found[start:]

        if method == "search_read":
            return [project(r) for r in search()]
        if method == "search":
            return [r["id"] for r in search()]
        if method == "search_count":
            return len([r for r in table.values() if _matches(r, args[0])])
        if method == "read":
            return [project(table[i]) for i in args[0] if i in table]
        if method == "create":
            return self.add(model, **args[0])
        if method == "write":
            for i in args[0]:
                table[i].update(args[1])
            return True
        if method == "unlink":
            for i in args[0]:
                table.pop(i, None)
            return True
        raise AttributeError(f"The method '{method}' does not exist on the model '{model}'")
