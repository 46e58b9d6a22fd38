"""A test double of Dropbox's HTTP API v2 (shapes from https://www.dropbox.com/developers/documentation/http/
documentation), one local server for both hosts:

- RPC endpoints (JSON body, JSON answer): files/list_folder `{path, recursive, limit}` -> `{entries, cursor,
  has_more}` (pages of `limit` entries), files/list_folder/continue `{cursor}`, files/get_metadata `{path}`,
  files/move_v2 and files/copy_v2 `{from_path, to_path, autorename, allow_ownership_transfer}` -> `{metadata}`,
  files/delete_v2 `{path}` -> `{metadata}`, files/create_folder_v2 `{path, autorename}` -> `{metadata}`,
  files/search_v2 `{query, options: {path, max_results, file_extensions}}` -> `{matches: [{metadata: {".tag":
  "metadata", metadata}}], has_more, cursor}`, files/search/continue_v2 `{cursor}`.
- Content endpoints (arguments in the Dropbox-API-Arg header, ASCII-only JSON): files/download -> the bytes, the
  metadata in Dropbox-API-Result; files/upload `{path, mode: add|overwrite, autorename}` (body: the bytes) -> the
  file's metadata; files/upload_session/start, append_v2 `{cursor: {session_id, offset}}` (the offset must be the
  bytes received so far), finish `{cursor, commit}`.
- Metadata: `{".tag": "file", name, id: "id:...", path_lower, path_display, client_modified, server_modified, rev,
  size, content_hash}`, folders `{".tag": "folder", name, id, path_lower, path_display}`. Paths are
  case-insensitive; parents are created as needed.
- Errors: 409 `{"error_summary": "path/not_found/..", "error": {...}}` (also `to/conflict/file/..`,
  `from_lookup/not_found/..`, `path/conflict/file/..`, `incorrect_offset`), 401 `{"error_summary":
  "invalid_access_token/..."}`, 429 with Retry-After (`throttle_once`). A Bearer token is required."""

from __future__ import annotations

import hashlib
import itertools
import json
import posixpath
from typing import Any

from tests.api_double import ApiDouble, Reply, Request

TOKEN = "sl.test-token"
MODIFIED = "2026-12-07T08:00:00Z"


class DropboxDouble(ApiDouble):
    def __init__(self, throttle_once: bool = False) -> None:
        super().__init__()
        self.files: dict[str, tuple[str, bytes, str]] = {}  # lower path -> (display path, content, client_modified)
        self.folders: dict[str, str] = {"": ""}  # lower path -> display path
        self.throttle_once = throttle_once
        self.sessions: dict[str, bytearray] = {}
        self._ids = itertools.count(1)
        self._cursors: dict[str, list[dict[str, Any]]] = {}
        for route in ("list_folder", "list_folder/continue", "get_metadata", "move_v2", "copy_v2", "delete_v2",
                      "create_folder_v2", "search_v2", "search/continue_v2", "download", "upload",
                      "upload_session/start", "upload_session/append_v2", "upload_session/finish"):
            self.route("POST", "/2/files/" + route, lambda request, route=route: self._call(route, request))

    # fixtures ---------------------------------------------------------------------------------------------
    def put(self, path: str, content: bytes, modified: str = MODIFIED) -> None:
        self._mkdirs(posixpath.dirname(path))
        self.files[path.lower()] = (path, content, modified)

    def content(self, path: str) -> bytes:
        return self.files[path.lower()][1]

    # metadata ---------------------------------------------------------------------------------------------
    def _mkdirs(self, path: str) -> None:
        while path not in ("", "/") and path.lower() not in self.folders:
            self.folders[path.lower()] = path
            path = posixpath.dirname(path)

    def _meta(self, lower: str) -> dict[str, Any]:
        if lower in self.files:
            display, content, modified = self.files[lower]
            return {".tag": "file", "name": posixpath.basename(display), "id": f"id:{hashlib.md5(lower.encode()).hexdigest()[:12]}",
                    "path_lower": lower, "path_display": display, "client_modified": modified,
                    "server_modified": MODIFIED, "rev": "015f", "size": len(content),
                    "content_hash": hashlib.sha256(content).hexdigest(), "is_downloadable": True}
        display = self.folders[lower]
        return {".tag": "folder", "name": posixpath.basename(display), "id": f"id:dir{len(lower)}",
                "path_lower": lower, "path_display": display}

    def _exists(self, lower: str) -> bool:
        return lower in self.files or (lower in self.folders and lower != "")

    def _under(self, lower: str) -> list[str]:
        return sorted([p for p in [*self.folders, *self.files] if p and p.startswith(lower + "/")])

    # dispatch ---------------------------------------------------------------------------------------------
    def _call(self, route: str, request: Request) -> Reply:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return Reply(401, {"error_summary": "invalid_access_token/...", "error": {".tag": "invalid_access_token"}})
        if self.throttle_once:
            self.throttle_once = False
            return Reply(429, {"error_summary": "too_many_requests/..", "error": {"reason": {".tag": "too_many_requests"}}},
                         {"Retry-After": "0"})
        content_route = route in ("download", "upload") or route.startswith("upload_session")
        if content_route:
            raw = request.headers.get("dropbox-api-arg", "{}")
            if not raw.isascii():
                return Reply(400, {"error_summary": "Dropbox-API-Arg must be ASCII"})
            args = json.loads(raw)
        else:
            args = request.body or {}
        return getattr(self, "_" + route.replace("/", "_"))(args, request)

    def _list_folder(self, args: dict[str, Any], request: Request) -> Reply:
        lower = args["path"].lower()
        if lower not in self.folders:
            return _error("path/not_found/..", {".tag": "path", "path": {".tag": "not_found"}})
        entries = [p for p in self._under(lower) if args.get("recursive") or posixpath.dirname(p) == (lower or "/")]
        return self._page([self._meta(p) for p in entries], int(args.get("limit") or 2000), "entries")

    def _page(self, items: list[Any], size: int, key: str) -> Reply:
        cursor = f"cursor-{next(self._ids)}"
        self._cursors[cursor] = items[size:]
        self._cursors[cursor + ":size"] = [size]
        return Reply(200, {key: items[:size], "cursor": cursor, "has_more": len(items) > size})

    def _list_folder_continue(self, args: dict[str, Any], request: Request) -> Reply:
        rest = self._cursors.pop(args["cursor"])
        return self._page(rest, self._cursors[args["cursor"] + ":size"][0], "entries")

    def _get_metadata(self, args: dict[str, Any], request: Request) -> Reply:
        lower = args["path"].lower()
        if not self._exists(lower):
            return _error("path/not_found/..", {".tag": "path", "path": {".tag": "not_found"}})
        return Reply(200, self._meta(lower))

    def _free(self, display: str) -> str:
        stem, ext = posixpath.splitext(display)
        for n in itertools.count(1):
            candidate = f"{stem} ({n}){ext}"
            if not self._exists(candidate.lower()):
                return candidate
        raise AssertionError

    def _relocate(self, args: dict[str, Any], keep: bool) -> Reply:
        source, target = args["from_path"].lower(), args["to_path"]
        if not self._exists(source):
            return _error("from_lookup/not_found/..", {".tag": "from_lookup", "from_lookup": {".tag": "not_found"}})
        if self._exists(target.lower()):
            if not args.get("autorename"):
                return _error("to/conflict/file/..", {".tag": "to", "to": {".tag": "conflict"}})
            target = self._free(target)
        self._mkdirs(posixpath.dirname(target))
        for old in [source, *self._under(source)]:
            new = target + self._display(old)[len(source):]
            if old in self.files:
                self.files[new.lower()] = (new, *self.files[old][1:])
            else:
                self.folders[new.lower()] = new
            if not keep:
                self.files.pop(old, None)
                self.folders.pop(old, None)
        return Reply(200, {"metadata": self._meta(target.lower())})

    def _display(self, lower: str) -> str:
        return self.files[lower][0] if lower in self.files else self.folders[lower]

    def _move_v2(self, args: dict[str, Any], request: Request) -> Reply:
        return self._relocate(args, keep=False)

    def _copy_v2(self, args: dict[str, Any], request: Request) -> Reply:
        return self._relocate(args, keep=True)

    def _delete_v2(self, args: dict[str, Any], request: Request) -> Reply:
        lower = args["path"].lower()
        if not self._exists(lower):
            return _error("path_lookup/not_found/..", {".tag": "path_lookup", "path_lookup": {".tag": "not_found"}})
        meta = self._meta(lower)
        for path in [lower, *self._under(lower)]:
            self.files.pop(path, None)
            self.folders.pop(path, None)
        return Reply(200, {"metadata": meta})

    def _create_folder_v2(self, args: dict[str, Any], request: Request) -> Reply:
        path = args["path"]
        if self._exists(path.lower()):
            if not args.get("autorename"):
                return _error("path/conflict/folder/..", {".tag": "path", "path": {".tag": "conflict"}})
            path = self._free(path)
        self._mkdirs(path)
        meta = self._meta(path.lower())
        meta.pop(".tag")  # create_folder_v2 answers a FolderMetadata without its tag
        return Reply(200, {"metadata": meta})

    def _search_v2(self, args: dict[str, Any], request: Request) -> Reply:
        options = args.get("options") or {}
        under = (options.get("path") or "").lower()
        extensions = options.get("file_extensions")
        hits = [p for p in [*self.folders, *self.files] if p and p.startswith(under + "/" if under else "")
                and args["query"].lower() in posixpath.basename(p)
                and (not extensions or (p in self.files and p.rsplit(".", 1)[-1] in extensions))]
        matches = [{"match_type": {".tag": "filename"}, "metadata": {".tag": "metadata", "metadata": self._meta(p)}}
                   for p in sorted(hits)]
        return self._page(matches, int(options.get("max_results") or 100), "matches")

    def _search_continue_v2(self, args: dict[str, Any], request: Request) -> Reply:
        rest = self._cursors.pop(args["cursor"])
        return self._page(rest, self._cursors[args["cursor"] + ":size"][0], "matches")

    def _download(self, args: dict[str, Any], request: Request) -> Reply:
        lower = args["path"].lower()
        if lower not in self.files:
            return _error("path/not_found/..", {".tag": "path", "path": {".tag": "not_found"}})
        meta = {k: v for k, v in self._meta(lower).items() if k != ".tag"}
        return Reply(200, self.files[lower][1], {"Content-Type": "application/octet-stream",
                                                 "Dropbox-API-Result": json.dumps(meta)})

    def _commit(self, commit: dict[str, Any], content: bytes) -> Reply:
        path = commit["path"]
        if self._exists(path.lower()) and commit.get("mode", "add") == "add":
            if not commit.get("autorename"):
                return _error("path/conflict/file/..", {".tag": "path", "reason": {".tag": "conflict"}})
            path = self._free(path)
        self.put(path, content)
        return Reply(200, {k: v for k, v in self._meta(path.lower()).items() if k != ".tag"})

    def _upload(self, args: dict[str, Any], request: Request) -> Reply:
        return self._commit(args, request.raw)

    def _upload_session_start(self, args: dict[str, Any], request: Request) -> Reply:
        session = f"session-{next(self._ids)}"
        self.sessions[session] = bytearray(request.raw)
        return Reply(200, {"session_id": session})

    def _upload_session_append_v2(self, args: dict[str, Any], request: Request) -> Reply:
        cursor = args["cursor"]
        data = self.sessions[cursor["session_id"]]
        if cursor["offset"] != len(data):
            return _error("incorrect_offset/..", {".tag": "incorrect_offset", "correct_offset": len(data)})
        data += request.raw
        return Reply(200, None)

    def _upload_session_finish(self, args: dict[str, Any], request: Request) -> Reply:
        cursor = args["cursor"]
        data = self.sessions[cursor["session_id"]]
        if cursor["offset"] != len(data):
            return _error("lookup_failed/incorrect_offset/..", {".tag": "lookup_failed"})
        data += request.raw
        return self._commit(args["commit"], bytes(self.sessions.pop(cursor["session_id"])))


def _error(summary: str, error: dict[str, Any]) -> Reply:
    return Reply(409, {"error_summary": summary, "error": error})
