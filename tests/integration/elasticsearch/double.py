"""A test double of an Elasticsearch / OpenSearch cluster's REST API (no such server installs on this machine),
over an in-memory store of indices, with the request and answer shapes of the public REST reference
(elastic.co/guide/en/elasticsearch/reference, "Document APIs", "Search APIs", "ES|QL query API"; and
opensearch.org/docs "SQL and PPL API"):

- PUT /{index}/_doc/{id}, POST /{index}/_doc, PUT /{index}/_create/{id} (409 version_conflict_engine_exception when
  it exists) answer `{_index, _id, _version, result: created|updated}`; GET /{index}/_doc/{id} answers `{found,
  _source, ...}` (404 with `found: false`; 404 index_not_found_exception for an unknown index);
- POST /_search and /{indices}/_search with `query` (match_all, term, match, range, bool must/filter/should/
  must_not), `size` (default 10), `from`, `sort`; `?scroll=` opens a scroll context, continued by POST
  /_search/scroll `{scroll_id}` and closed by DELETE /_search/scroll; answers `{took, hits: {total: {value,
  relation}, hits: [{_index, _id, _source}]}}`;
- POST /_bulk: newline-delimited action and document lines (index, create, update with `doc`/`doc_as_upsert`,
  delete), answering `{took, errors, items: [{action: {_index, _id, status, result | error}}]}`;
- GET /{index}/_count;
- POST /_query (ES|QL) and /_query/async (+ GET and DELETE /_query/async/{id}): `FROM index`, then `| WHERE
  field == literal` (AND-ed), `| KEEP a, b`, `| LIMIT n`, answering `{columns: [{name, type}], values: [[...]]}`
  (`columnar`: one list per column);
- POST /_plugins/_ppl (OpenSearch): `source=index`, `| where field = literal`, `| fields a, b`, answering the JDBC
  format `{schema: [{name, type}], datarows, total, size}`, or CSV text with `?format=csv`.

A version=1 Warning header is added to answers when `warn` is set (deprecation warnings)."""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

from tests.api_double import ApiDouble, Reply, Request

USER, PASSWORD = "elastic", "changeme"
_MISSING = object()


def _field(doc: dict[str, Any], name: str) -> Any:
    for part in name.split("."):
        if not isinstance(doc, dict) or part not in doc:
            return _MISSING
        doc = doc[part]
    return doc


def matches(doc: dict[str, Any], query: dict[str, Any]) -> bool:
    if not query:
        return True
    (kind, spec), = query.items()
    if kind == "match_all":
        return True
    if kind == "term":
        (name, want), = spec.items()
        want = want.get("value") if isinstance(want, dict) else want
        return _field(doc, name) == want
    if kind == "match":
        (name, want), = spec.items()
        want = want.get("query") if isinstance(want, dict) else want
        value = _field(doc, name)
        return value is not _MISSING and str(want).lower() in str(value).lower().split()
    if kind == "range":
        (name, bounds), = spec.items()
        value = _field(doc, name)
        if value is _MISSING:
            return False
        checks = {"gt": lambda b: value > b, "gte": lambda b: value >= b, "lt": lambda b: value < b, "lte": lambda b: value <= b}
        return all(checks[op](bound) for op, bound in bounds.items())
    if kind == "bool":
        def listed(key: str) -> list[dict[str, Any]]:
            found = spec.get(key, [])
            return found if isinstance(found, list) else [found]
        return (all(matches(doc, q) for q in listed("must") + listed("filter"))
                and (not listed("should") or any(matches(doc, q) for q in listed("should")))
                and not any(matches(doc, q) for q in listed("must_not")))
    raise ValueError(f"unknown query [{kind}]")


def _error(status: int, kind: str, reason: str) -> Reply:
    return Reply(status, {"error": {"root_cause": [{"type": kind, "reason": reason}], "type": kind, "reason": reason},
                          "status": status})


class SearchDouble(ApiDouble):
    def __init__(self, media_type: str = "application/json") -> None:
        super().__init__()
        self.media_type = media_type
        self.indices: dict[str, dict[str, dict[str, Any]]] = {}
        self.versions: dict[tuple[str, str], int] = {}
        self.scrolls: dict[str, list[dict[str, Any]]] = {}
        self.async_queries: dict[str, dict[str, Any]] = {}
        self.ids = itertools.count(1)
        self.warn = False
        self.route("POST", r"/_bulk", self._bulk)
        self.route("POST", r"/_search/scroll", self._scroll)
        self.route("DELETE", r"/_search/scroll", self._clear)
        self.route("POST", r"/_query", self._query)
        self.route("POST", r"/_query/async", self._query_async)
        self.route("GET", r"/_query/async/(?P<qid>[^/]+)", self._query_poll)
        self.route("DELETE", r"/_query/async/(?P<qid>[^/]+)", self._query_delete)
        self.route("POST", r"/_plugins/_ppl", self._ppl)
        self.route("POST", r"/_search", self._search_all)
        self.route("GET", r"/_search", self._search_all)
        self.route("POST", r"/(?P<index>[^_/][^/]*)/_search", self._search)
        self.route("GET", r"/(?P<index>[^_/][^/]*)/_search", self._search)
        self.route("GET", r"/(?P<index>[^_/][^/]*)/_count", self._count)
        self.route("POST", r"/(?P<index>[^_/][^/]*)/_doc", self._put)
        self.route("PUT", r"/(?P<index>[^_/][^/]*)/_doc/(?P<doc_id>[^/]+)", self._put)
        self.route("POST", r"/(?P<index>[^_/][^/]*)/_doc/(?P<doc_id>[^/]+)", self._put)
        self.route("PUT", r"/(?P<index>[^_/][^/]*)/_create/(?P<doc_id>[^/]+)", self._create)
        self.route("GET", r"/(?P<index>[^_/][^/]*)/_doc/(?P<doc_id>[^/]+)", self._get)

    def authorized(self, request: Request) -> bool:
        import base64

        expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        auth = request.headers.get("authorization")
        return auth is None or auth == expected or auth.startswith("ApiKey ")

    def dispatch(self, request: Request) -> Reply:
        reply = super().dispatch(request)
        reply.headers.setdefault("Content-Type", self.media_type)
        if self.warn:
            reply.headers["Warning"] = '299 Elasticsearch-8.0.0 "this request is deprecated"'
        return reply

    # documents -------------------------------------------------------------------------------------------
    def index(self, index: str, doc_id: str, source: dict[str, Any]) -> str:
        docs = self.indices.setdefault(index, {})
        result = "updated" if doc_id in docs else "created"
        docs[doc_id] = source
        self.versions[(index, doc_id)] = self.versions.get((index, doc_id), 0) + 1
        return result

    def _put(self, request: Request, index: str, doc_id: str | None = None) -> Reply:
        doc_id = doc_id or f"auto{next(self.ids)}"
        if request.query.get("op_type") == ["create"] and doc_id in self.indices.get(index, {}):
            return _error(409, "version_conflict_engine_exception", f"[{doc_id}]: version conflict, document already exists")
        result = self.index(index, doc_id, request.body)
        status = 201 if result == "created" else 200
        return Reply(status, {"_index": index, "_id": doc_id, "_version": self.versions[(index, doc_id)], "result": result,
                              "_shards": {"total": 1, "successful": 1, "failed": 0}})

    def _create(self, request: Request, index: str, doc_id: str) -> Reply:
        if doc_id in self.indices.get(index, {}):
            return _error(409, "version_conflict_engine_exception", f"[{doc_id}]: version conflict, document already exists")
        return self._put(request, index, doc_id)

    def _get(self, request: Request, index: str, doc_id: str) -> Reply:
        if index not in self.indices:
            return _error(404, "index_not_found_exception", f"no such index [{index}]")
        doc = self.indices[index].get(doc_id)
        if doc is None:
            return Reply(404, {"_index": index, "_id": doc_id, "found": False})
        return Reply(200, {"_index": index, "_id": doc_id, "_version": self.versions[(index, doc_id)], "found": True,
                           "_source": doc})

    # search ----------------------------------------------------------------------------------------------
    def _hits(self, names: list[str], body: dict[str, Any]) -> list[dict[str, Any]]:
        hits = [{"_index": name, "_id": doc_id, "_score": 1.0, "_source": doc}
                for name in names for doc_id, doc in self.indices.get(name, {}).items()
                if matches(doc, (body or {}).get("query", {}))]
        for spec in reversed((body or {}).get("sort", [])):
            (name, order), = (spec.items() if isinstance(spec, dict) else [(spec, "asc")])
            order = order.get("order", "asc") if isinstance(order, dict) else order
            hits.sort(key=lambda h, n=name: h["_source"].get(n), reverse=order == "desc")
        return hits

    def _answer(self, hits: list[dict[str, Any]], total: int, scroll_id: str | None = None) -> Reply:
        body: dict[str, Any] = {"took": 3, "timed_out": False, "hits": {"total": {"value": total, "relation": "eq"},
                                                                        "max_score": 1.0, "hits": hits}}
        if scroll_id is not None:
            body["_scroll_id"] = scroll_id
        return Reply(200, body)

    def _search(self, request: Request, index: str) -> Reply:
        names = index.split(",")
        missing = [n for n in names if n not in self.indices]
        if missing:
            return _error(404, "index_not_found_exception", f"no such index [{missing[0]}]")
        try:
            hits = self._hits(names, request.body)
        except ValueError as exc:
            return _error(400, "parsing_exception", str(exc))
        body = request.body or {}
        start, size = body.get("from", 0), body.get("size", 10)
        if "scroll" in request.query:
            scroll_id = f"scroll{next(self.ids)}"
            self.scrolls[scroll_id] = hits[size:]
            return self._answer(hits[:size], len(hits), scroll_id)
        return self._answer(hits[start:start + size], len(hits))

    def _search_all(self, request: Request) -> Reply:
        return self._search(request, ",".join(self.indices) or "_none_")

    def _scroll(self, request: Request) -> Reply:
        scroll_id = request.body["scroll_id"]
        rest = self.scrolls.get(scroll_id)
        if rest is None:
            return _error(404, "search_context_missing_exception", f"No search context found for id [{scroll_id}]")
        page, self.scrolls[scroll_id] = rest[:2], rest[2:]
        return self._answer(page, len(page), scroll_id)

    def _clear(self, request: Request) -> Reply:
        found = self.scrolls.pop(request.body["scroll_id"], None) is not None
        return Reply(200, {"succeeded": True, "num_freed": int(found)})

    def _count(self, request: Request, index: str) -> Reply:
        return Reply(200, {"count": len(self.indices.get(index, {})), "_shards": {"total": 1, "successful": 1}})

    # bulk ------------------------------------------------------------------------------------------------
    def _bulk(self, request: Request) -> Reply:
        assert "x-ndjson" in request.headers["content-type"], request.headers["content-type"]
        lines = [json.loads(line) for line in request.raw.decode().splitlines() if line.strip()]
        items, errors = [], False
        while lines:
            (kind, meta), = lines.pop(0).items()
            index, doc_id = meta.get("_index"), meta.get("_id") or f"auto{next(self.ids)}"
            docs = self.indices.setdefault(index, {})
            if kind == "delete":
                found = docs.pop(doc_id, None) is not None
                items.append({kind: {"_index": index, "_id": doc_id, "status": 200 if found else 404,
                                     "result": "deleted" if found else "not_found"}})
                continue
            source = lines.pop(0)
            if kind == "create" and doc_id in docs:
                errors = True
                items.append({kind: {"_index": index, "_id": doc_id, "status": 409, "error": {
                    "type": "version_conflict_engine_exception", "reason": f"[{doc_id}]: version conflict, document already exists"}}})
                continue
            if kind == "update":
                source = {**docs.get(doc_id, {}), **source["doc"]}
            result = self.index(index, doc_id, source)
            items.append({kind: {"_index": index, "_id": doc_id, "status": 201 if result == "created" else 200, "result": result}})
        return Reply(200, {"took": 5, "errors": errors, "items": items})

    # ES|QL and PPL ---------------------------------------------------------------------------------------
    def _table(self, index: str, wheres: list[tuple[str, Any]], keep: list[str] | None, limit: int | None) -> tuple[list[str], list[list[Any]]]:
        docs = [d for d in self.indices.get(index, {}).values() if all(d.get(f) == v for f, v in wheres)]
        names = keep or sorted({k for d in docs for k in d})
        rows = [[d.get(n) for n in names] for d in docs]
        return names, rows[:limit] if limit is not None else rows

    def esql(self, query: str, columnar: bool) -> dict[str, Any]:
        parts = [p.strip() for p in query.strip().split("|")]
        source = re.fullmatch(r"FROM\s+(\S+)", parts[0], re.IGNORECASE)
        if source is None:
            raise ValueError(f"line 1:1: mismatched input '{parts[0][:20]}'")
        wheres: list[tuple[str, Any]] = []
        keep, limit = None, None
        for part in parts[1:]:
            command, _, rest = part.partition(" ")
            if command.upper() == "WHERE":
                for cond in re.split(r"\s+AND\s+", rest, flags=re.IGNORECASE):
                    name, _, value = cond.partition("==")
                    wheres.append((name.strip(), json.loads(value.strip())))
            elif command.upper() == "KEEP":
                keep = [n.strip() for n in rest.split(",")]
            elif command.upper() == "LIMIT":
                limit = int(rest)
        names, rows = self._table(source.group(1), wheres, keep, limit)
        columns = [{"name": n, "type": "keyword"} for n in names]
        values = [list(col) for col in zip(*rows, strict=True)] if columnar else rows
        return {"columns": columns, "values": values}

    def _query(self, request: Request) -> Reply:
        try:
            return Reply(200, self.esql(request.body["query"], request.body.get("columnar", False)))
        except ValueError as exc:
            return _error(400, "parsing_exception", str(exc))

    def _query_async(self, request: Request) -> Reply:
        qid = f"q{next(self.ids)}"
        self.async_queries[qid] = self.esql(request.body["query"], request.body.get("columnar", False))
        return Reply(200, {"id": qid, "is_running": True})

    def _query_poll(self, request: Request, qid: str) -> Reply:
        return Reply(200, {"id": qid, "is_running": False, **self.async_queries[qid]})

    def _query_delete(self, request: Request, qid: str) -> Reply:
        self.async_queries.pop(qid, None)
        return Reply(200, {"acknowledged": True})

    def _ppl(self, request: Request) -> Reply:
        parts = [p.strip() for p in request.body["query"].split("|")]
        index = parts[0].split("=", 1)[1].strip()
        wheres, keep = [], None
        for part in parts[1:]:
            command, _, rest = part.partition(" ")
            if command == "where":
                name, _, value = rest.partition("=")
                wheres.append((name.strip(), json.loads(value.strip().replace("'", '"'))))
            elif command == "fields":
                keep = [n.strip() for n in rest.split(",")]
        names, rows = self._table(index, wheres, keep, request.body.get("fetch_size"))
        if request.query.get("format") == ["csv"]:
            text = "\n".join([",".join(names), *(",".join(str(v) for v in r) for r in rows)])
            return Reply(200, text.encode(), {"Content-Type": "text/plain; charset=UTF-8"})
        return Reply(200, {"schema": [{"name": n, "type": "string"} for n in names], "datarows": rows,
                           "total": len(rows), "size": len(rows), "status": 200})
