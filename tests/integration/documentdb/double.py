"""A test double of a DocumentDB HTTP data API (no DocumentDB server or gateway runs here): a local HTTP server
speaking the request and answer shapes of MongoDB's Data API, which Kestra's DocumentDB tasks call
(https://www.mongodb.com/docs/atlas/app-services/data-api/openapi/ : "Data API v1"):

- POST /data/v1/action/{action} with JSON `{"database", "collection", ...}` and basic authentication.
- find `{filter?, limit?, skip?}` and aggregate `{pipeline}` answer 200 `{"documents": [...]}`; insertOne
  `{document}` answers 201 `{"insertedId"}`; insertMany `{documents}` 201 `{"insertedIds": [...]}`; updateOne and
  updateMany `{filter?, update}` 200 `{"matchedCount", "modifiedCount"}`; deleteOne and deleteMany `{filter?}` 200
  `{"deletedCount"}`. Documents travel as extended JSON: `_id` as `{"$oid": "<24 hex>"}`, dates as `{"$date": iso}`.
- Errors: 401 on bad credentials; 400
  `{"error": ..., "error_code": "InvalidParameter"}` on a malformed body.

The documents live in memory; filters, update operators and pipeline stages ($match, $group, $sort, $skip, $limit,
$project) are evaluated by the MongoDB double's query engine (tests/integration/mongodb/double.py)."""

from __future__ import annotations

import base64
import itertools
from datetime import datetime
from typing import Any

from tests.api_double import ApiDouble, Reply, Request
from tests.integration.mongodb.double import _apply, _group, _project, _sort, matches

USER, PASSWORD = "docdb-app", "s3cret-pw"


def decode(value: Any) -> Any:
    """Extended JSON to plain values ($date -> datetime; $oid kept as a tagged string)."""
    if isinstance(value, dict):
        if set(value) == {"$date"}:
            return datetime.fromisoformat(str(value["$date"]).replace("Z", "+00:00"))
        if set(value) == {"$oid"}:
            return ("oid", value["$oid"])
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$date": value.isoformat().replace("+00:00", "Z")}
    if isinstance(value, tuple) and len(value) == 2 and value[0] == "oid":
        return {"$oid": value[1]}
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [encode(v) for v in value]
    return value


class DocumentDbDouble(ApiDouble):
    def __init__(self) -> None:
        super().__init__()
        self.collections: dict[str, list[dict[str, Any]]] = {}
        self._ids = itertools.count(1)
        self.route("POST", r"/data/v1/action/(?P<action>[A-Za-z]+)", self._action)

    def authorized(self, request: Request) -> bool:
        expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        return request.headers.get("authorization") == expected

    def docs(self, database: str, collection: str) -> list[dict[str, Any]]:
        return self.collections.setdefault(f"{database}.{collection}", [])

    def plain(self, database: str, collection: str) -> list[dict[str, Any]]:
        """The stored documents as the API would return them (extended JSON)."""
        return [encode(d) for d in self.docs(database, collection)]

    def _new_id(self) -> tuple[str, str]:
        return ("oid", f"{next(self._ids):024x}")

    def _action(self, request: Request, action: str) -> Reply:
        body = request.body
        if not isinstance(body, dict) or not body.get("database") or not body.get("collection"):
            return Reply(400, {"error": "database and collection are required", "error_code": "InvalidParameter"})
        docs = self.docs(body["database"], body["collection"])
        query = decode(body.get("filter") or {})
        handler = getattr(self, f"_{action}", None)
        if handler is None:
            return Reply(404, {"error": f"unknown action {action}", "error_code": "NotFound"})
        return handler(docs, query, body)  # type: ignore[no-any-return]

    def _find(self, docs: list[dict[str, Any]], query: dict[str, Any], body: dict[str, Any]) -> Reply:
        found = [d for d in docs if matches(d, query)][int(body.get("skip") or 0):]
        if body.get("limit"):
            found = found[: int(body["limit"])]
        return Reply(200, {"documents": encode(found)})

    def _aggregate(self, docs: list[dict[str, Any]], query: dict[str, Any], body: dict[str, Any]) -> Reply:
        found = list(docs)
        for stage in decode(body.get("pipeline") or []):
            (op, arg), = stage.items()
            found = {"$match": lambda d, a: [x for x in d if matches(x, a)], "$group": _group, "$sort": _sort,
                     "$skip": lambda d, a: d[a:], "$limit": lambda d, a: d[:a],
                     "$project": lambda d, a: [_project(x, a) for x in d]}[op](found, arg)
        return Reply(200, {"documents": encode(found)})

    def _insertOne(self, docs: list[dict[str, Any]], query: dict[str, Any], body: dict[str, Any]) -> Reply:
        doc = {"_id": self._new_id(), **decode(body["document"])}
        docs.append(doc)
        return Reply(201, {"insertedId": doc["_id"][1]})

    def _insertMany(self, docs: list[dict[str, Any]], query: dict[str, Any], body: dict[str, Any]) -> Reply:
        ids = []
        for raw in body["documents"]:
            doc = {"_id": self._new_id(), **decode(raw)}
            docs.append(doc)
            ids.append(doc["_id"][1])
        return Reply(201, {"insertedIds": ids})

    def _update(self, docs: list[dict[str, Any]], query: dict[str, Any], body: dict[str, Any], many: bool) -> Reply:
        hits = [i for i, d in enumerate(docs) if matches(d, query)]
        hits = hits if many else hits[:1]
        modified = 0
        for i in hits:
            new = _apply(docs[i], decode(body["update"]))
            if new != docs[i]:
                docs[i], modified = new, modified + 1
        return Reply(200, {"matchedCount": len(hits), "modifiedCount": modified})

    def _updateOne(self, docs: list[dict[str, Any]], query: dict[str, Any], body: dict[str, Any]) -> Reply:
        return self._update(docs, query, body, False)

    def _updateMany(self, docs: list[dict[str, Any]], query: dict[str, Any], body: dict[str, Any]) -> Reply:
        return self._update(docs, query, body, True)

    def _delete(self, docs: list[dict[str, Any]], query: dict[str, Any], many: bool) -> Reply:
        hits = [d for d in docs if matches(d, query)]
        hits = hits if many else hits[:1]
        for doc in hits:
            docs.remove(doc)
        return Reply(200, {"deletedCount": len(hits)})

    def _deleteOne(self, docs: list[dict[str, Any]], query: dict[str, Any], body: dict[str, Any]) -> Reply:
        return self._delete(docs, query, False)

    def _deleteMany(self, docs: list[dict[str, Any]], query: dict[str, Any], body: dict[str, Any]) -> Reply:
        return self._delete(docs, query, True)
