"""A test double of a MongoDB server (no MongoDB server installs on this machine): a TCP server on 127.0.0.1
speaking the wire protocol of https://www.mongodb.com/docs/manual/reference/mongodb-wire-protocol/ — OP_MSG
(opcode 2013, a body section of kind 0 and document sequences of kind 1) and, for the driver's first handshake,
OP_QUERY (2004) answered with OP_REPLY (1) — over an in-memory store.

Commands (shapes from https://www.mongodb.com/docs/manual/reference/command/): hello/isMaster (a standalone
server, maxWireVersion 21), ping, buildInfo, endSessions, find (filter, projection, sort, skip, limit), getMore
and killCursors (batches of `batchSize`), insert, update (q, u, multi, upsert; operators $set, $unset, $inc,
$push, or a replacement), delete (q, limit), aggregate ($match, $group with $sum/$avg/$min/$max/$count,
$sort, $skip, $limit, $project). Query operators: $eq, $ne, $gt, $gte, $lt, $lte, $in, $nin, $exists, $and,
$or, dotted paths. Every command received is recorded in `commands`."""

from __future__ import annotations

import itertools
import socketserver
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import bson
from bson import ObjectId
from bson.codec_options import CodecOptions

OP_REPLY, OP_QUERY, OP_MSG = 1, 2004, 2013
_MISSING = object()
OPTIONS: CodecOptions[dict[str, Any]] = CodecOptions(tz_aware=True)


def _get(doc: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(doc, dict) and part in doc:
            doc = doc[part]
        elif isinstance(doc, list) and part.isdigit() and int(part) < len(doc):
            doc = doc[int(part)]
        else:
            return _MISSING
    return doc


def _compare(op: str, value: Any, arg: Any) -> bool:
    if op in ("$eq", "$ne"):
        same = value == arg or (isinstance(value, list) and arg in value)
        return same if op == "$eq" else not same
    if op == "$in":
        return any(_compare("$eq", value, a) for a in arg)
    if op == "$nin":
        return not any(_compare("$eq", value, a) for a in arg)
    if op == "$exists":
        return (value is not _MISSING) == bool(arg)
    if value is _MISSING or value is None:
        return False
    try:
        return {"$gt": value > arg, "$gte": value >= arg, "$lt": value < arg, "$lte": value <= arg}[op]
    except TypeError:
        return False


def matches(doc: dict[str, Any], query: dict[str, Any]) -> bool:
    for key, cond in query.items():
        if key == "$and":
            ok = all(matches(doc, q) for q in cond)
        elif key == "$or":
            ok = any(matches(doc, q) for q in cond)
        elif isinstance(cond, dict) and cond and all(k.startswith("$") for k in cond):
            ok = all(_compare(op, _get(doc, key), arg) for op, arg in cond.items())
        else:
            ok = _compare("$eq", _get(doc, key), cond)
        if not ok:
            return False
    return True


def _sort(docs: list[dict[str, Any]], order: dict[str, int]) -> list[dict[str, Any]]:
    for key, direction in reversed(list(order.items())):
        docs = sorted(docs, key=lambda d, k=key: (_get(d, k) is _MISSING, _get(d, k) if _get(d, k) is not _MISSING else 0),
                      reverse=direction < 0)
    return docs


def _project(doc: dict[str, Any], projection: dict[str, Any]) -> dict[str, Any]:
    if not projection:
        return doc
    include = [k for k, v in projection.items() if v and k != "_id"]
    if include:
        out = {"_id": doc["_id"]} if projection.get("_id", 1) and "_id" in doc else {}
        out.update({k: doc[k] for k in include if k in doc})
        return out
    return {k: v for k, v in doc.items() if k not in projection}


def _value(doc: dict[str, Any], expr: Any) -> Any:
    if isinstance(expr, str) and expr.startswith("$"):
        found = _get(doc, expr[1:])
        return None if found is _MISSING else found
    return expr


def _group(docs: list[dict[str, Any]], spec: dict[str, Any]) -> list[dict[str, Any]]:
    groups: dict[Any, list[dict[str, Any]]] = {}
    for doc in docs:
        key = _value(doc, spec["_id"])
        groups.setdefault(repr(key), []).append(doc)
    out = []
    for members in groups.values():
        row: dict[str, Any] = {"_id": _value(members[0], spec["_id"])}
        for field, acc in spec.items():
            if field == "_id":
                continue
            (op, expr), = acc.items()
            values = [v for v in (_value(d, expr) for d in members) if v is not None]
            if op == "$count":
                row[field] = len(members)
            else:
                row[field] = {"$sum": lambda v: sum(v), "$avg": lambda v: sum(v) / len(v) if v else None,
                              "$min": lambda v: min(v) if v else None, "$max": lambda v: max(v) if v else None}[op](values)
        out.append(row)
    return out


def _apply(doc: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    if not any(k.startswith("$") for k in update):
        return {"_id": doc["_id"], **{k: v for k, v in update.items() if k != "_id"}}
    out = dict(doc)
    for op, fields in update.items():
        for key, arg in fields.items():
            if op == "$set":
                out[key] = arg
            elif op == "$unset":
                out.pop(key, None)
            elif op == "$inc":
                out[key] = out.get(key, 0) + arg
            elif op == "$push":
                out[key] = [*out.get(key, []), arg]
            else:
                raise CommandError(9, f"Unknown modifier: {op}")
    return out


class CommandError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


class MongoDouble:
    """The server's state: collections by (database, name), open cursors, and the commands received."""

    def __init__(self) -> None:
        self.collections: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.commands: list[dict[str, Any]] = []
        self.cursors: dict[int, tuple[str, list[dict[str, Any]]]] = {}
        self.lock = threading.RLock()
        self._ids = itertools.count(1)
        self.port = 0

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/"

    def docs(self, database: str, name: str) -> list[dict[str, Any]]:
        return self.collections.setdefault((database, name), [])

    def named(self, name: str) -> list[dict[str, Any]]:
        """The commands received with this name (`find`, `insert`, ...)."""
        return [c for c in self.commands if next(iter(c)) == name]

    # commands ----------------------------------------------------------------------------------------------
    def command(self, cmd: dict[str, Any]) -> dict[str, Any]:
        name = next(iter(cmd))
        with self.lock:
            self.commands.append(cmd)
            try:
                handler = getattr(self, "_" + name.lower(), None)
                if handler is None:
                    raise CommandError(59, f"no such command: '{name}'")
                return {**handler(cmd), "ok": 1.0}
            except CommandError as exc:
                return {"ok": 0.0, "errmsg": str(exc), "code": exc.code}

    def _hello(self, cmd: dict[str, Any]) -> dict[str, Any]:
        return {"isWritablePrimary": True, "ismaster": True, "helloOk": True, "maxBsonObjectSize": 16 * 1024 * 1024,
                "maxMessageSizeBytes": 48_000_000, "maxWriteBatchSize": 100_000, "localTime": bson.datetime.datetime.now(),
                "logicalSessionTimeoutMinutes": 30, "connectionId": 1, "minWireVersion": 0, "maxWireVersion": 21,
                "readOnly": False}

    _ismaster = _hello

    def _ping(self, cmd: dict[str, Any]) -> dict[str, Any]:
        return {}

    def _buildinfo(self, cmd: dict[str, Any]) -> dict[str, Any]:
        return {"version": "7.0.0", "versionArray": [7, 0, 0, 0]}

    def _endsessions(self, cmd: dict[str, Any]) -> dict[str, Any]:
        return {}

    def _batch(self, ns: str, docs: list[dict[str, Any]], size: int | None, first: bool) -> dict[str, Any]:
        size = size or len(docs) or 1
        batch, rest = docs[:size], docs[size:]
        cursor_id = 0
        if rest:
            cursor_id = next(self._ids)
            self.cursors[cursor_id] = (ns, rest)
        return {"cursor": {"firstBatch" if first else "nextBatch": batch, "id": bson.Int64(cursor_id), "ns": ns}}

    def _find(self, cmd: dict[str, Any]) -> dict[str, Any]:
        db, name = cmd["$db"], cmd["find"]
        docs = [d for d in self.docs(db, name) if matches(d, cmd.get("filter", {}))]
        if cmd.get("sort"):
            docs = _sort(docs, cmd["sort"])
        docs = docs[cmd.get("skip", 0):]
        if cmd.get("limit"):
            docs = docs[: abs(cmd["limit"])]
        docs = [_project(d, cmd.get("projection") or {}) for d in docs]
        return self._batch(f"{db}.{name}", docs, cmd.get("batchSize"), True)

    def _getmore(self, cmd: dict[str, Any]) -> dict[str, Any]:
        ns, docs = self.cursors.pop(int(cmd["getMore"]), ("", []))
        return self._batch(ns, docs, cmd.get("batchSize"), False)

    def _killcursors(self, cmd: dict[str, Any]) -> dict[str, Any]:
        for cursor_id in cmd.get("cursors", []):
            self.cursors.pop(int(cursor_id), None)
        return {"cursorsKilled": cmd.get("cursors", [])}

    def _insert(self, cmd: dict[str, Any]) -> dict[str, Any]:
        docs = self.docs(cmd["$db"], cmd["insert"])
        for doc in cmd["documents"]:
            if any(d["_id"] == doc.get("_id") for d in docs):
                raise CommandError(11000, f"E11000 duplicate key error collection: {cmd['insert']} dup key: {doc['_id']}")
            docs.append({"_id": ObjectId(), **doc} if "_id" not in doc else dict(doc))
        return {"n": len(cmd["documents"])}

    def _update(self, cmd: dict[str, Any]) -> dict[str, Any]:
        docs = self.docs(cmd["$db"], cmd["update"])
        matched = modified = 0
        upserted = []
        for index, spec in enumerate(cmd["updates"]):
            hits = [i for i, d in enumerate(docs) if matches(d, spec["q"])]
            if not spec.get("multi"):
                hits = hits[:1]
            for i in hits:
                new = _apply(docs[i], spec["u"])
                matched += 1
                if new != docs[i]:
                    modified += 1
                    docs[i] = new
            if not hits and spec.get("upsert"):
                base = {k: v for k, v in spec["q"].items() if not k.startswith("$") and not isinstance(v, dict)}
                new = _apply({"_id": ObjectId(), **base}, spec["u"])
                docs.append(new)
                upserted.append({"index": index, "_id": new["_id"]})
        reply: dict[str, Any] = {"n": matched + len(upserted), "nModified": modified}
        if upserted:
            reply["upserted"] = upserted
        return reply

    def _delete(self, cmd: dict[str, Any]) -> dict[str, Any]:
        docs = self.docs(cmd["$db"], cmd["delete"])
        deleted = 0
        for spec in cmd["deletes"]:
            hits = [d for d in docs if matches(d, spec["q"])]
            if spec.get("limit") == 1:
                hits = hits[:1]
            for doc in hits:
                docs.remove(doc)
            deleted += len(hits)
        return {"n": deleted}

    def _aggregate(self, cmd: dict[str, Any]) -> dict[str, Any]:
        db, name = cmd["$db"], cmd["aggregate"]
        docs = list(self.docs(db, name))
        for stage in cmd["pipeline"]:
            (op, arg), = stage.items()
            if op == "$match":
                docs = [d for d in docs if matches(d, arg)]
            elif op == "$group":
                docs = _group(docs, arg)
            elif op == "$sort":
                docs = _sort(docs, arg)
            elif op == "$skip":
                docs = docs[arg:]
            elif op == "$limit":
                docs = docs[:arg]
            elif op == "$project":
                docs = [_project(d, arg) for d in docs]
            else:
                raise CommandError(40324, f"Unrecognized pipeline stage name: '{op}'")
        return self._batch(f"{db}.{name}", docs, cmd.get("cursor", {}).get("batchSize"), True)

    # wire protocol -----------------------------------------------------------------------------------------
    def answer(self, op_code: int, body: bytes) -> tuple[int, bytes]:
        """(reply op code, reply body) for one request."""
        if op_code == OP_QUERY:
            _flags, = struct.unpack_from("<i", body)
            end = body.index(b"\0", 4)
            offset = end + 1 + 8
            length, = struct.unpack_from("<i", body, offset)
            query = bson.decode(body[offset:offset + length], OPTIONS)
            reply = bson.encode(self.command({**query, "$db": body[4:end].decode().split(".")[0]}))
            return OP_REPLY, struct.pack("<iqii", 0, 0, 0, 1) + reply
        flags, = struct.unpack_from("<I", body)
        end = len(body) - (4 if flags & 1 else 0)
        offset, cmd = 4, {}
        sequences: dict[str, list[Any]] = {}
        while offset < end:
            kind = body[offset]
            offset += 1
            size, = struct.unpack_from("<i", body, offset)
            if kind == 0:
                cmd = bson.decode(body[offset:offset + size], OPTIONS)
            else:
                section = body[offset + 4:offset + size]
                cut = section.index(b"\0")
                sequences[section[:cut].decode()] = list(bson.decode_all(section[cut + 1:], OPTIONS))
            offset += size
        reply = bson.encode(self.command({**cmd, **sequences}))
        return OP_MSG, struct.pack("<I", 0) + b"\0" + reply

    @contextmanager
    def serve(self) -> Iterator[str]:
        """Listen on 127.0.0.1 until the block ends; yields the connection string."""
        double = self

        class _Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                while True:
                    header = self._read(16)
                    if header is None:
                        return
                    length, request_id, _to, op_code = struct.unpack("<iiii", header)
                    body = self._read(length - 16)
                    if body is None:
                        return
                    reply_code, reply = double.answer(op_code, body)
                    self.request.sendall(struct.pack("<iiii", 16 + len(reply), next(double._ids), request_id,
                                                     reply_code) + reply)

            def _read(self, size: int) -> bytes | None:
                data = b""
                while len(data) < size:
                    chunk = self.request.recv(size - len(data))
                    if not chunk:
                        return None
                    data += chunk
                return data

        class _Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        server = _Server(("127.0.0.1", 0), _Handler)
        self.port = server.server_address[1]
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self.uri
        finally:
            server.shutdown()
            server.server_close()
