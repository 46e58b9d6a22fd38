"""Dropbox's HTTP API v2, as its documentation describes it (https://www.dropbox.com/developers/documentation/http/
documentation): RPC calls POST JSON to `https://api.dropboxapi.com/2/<route>` and answer JSON; content calls POST to
`https://content.dropboxapi.com/2/<route>` with their arguments as JSON in the `Dropbox-API-Arg` header (ASCII, other
characters escaped) and the file as the body (upload) or the answer (download, its metadata in `Dropbox-API-Result`).
An endpoint error is HTTP 409 with `{"error_summary": "path/not_found/..", "error": {...}}`; 401 a bad token; 429
(and 503) rate limiting with `Retry-After`, retried here.

Files larger than one request (`CHUNK`) go up in an upload session (`upload_session/start`, `append_v2`,
`finish`), so memory stays bounded whatever their size; downloads stream to a local file."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import IO, Any

import httpx

from legato.plugins.context import TaskFailed
from legato.plugins.core import httpclient

API = "https://api.dropboxapi.com"
CONTENT = "https://content.dropboxapi.com"
CHUNK = 8 << 20  # bytes per upload request; Dropbox takes up to 150 MiB per request
_RETRIES = 4


class DropboxError(TaskFailed):
    """An answer other than success, with Dropbox's error summary."""

    def __init__(self, message: str, summary: str = "") -> None:
        super().__init__(message)
        self.summary = summary


class Dropbox:
    """Calls with one access token; `api`/`content` are the two hosts (a proxy or a test double in their place)."""

    def __init__(self, token: str, api: str = API, content: str = CONTENT) -> None:
        self.api, self.content = api.rstrip("/"), content.rstrip("/")
        self._http = httpclient.client(timeout=httpx.Timeout(300.0, connect=30.0),
                                       headers={"Authorization": f"Bearer {token}"})

    async def __aenter__(self) -> Dropbox:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._http.aclose()

    async def rpc(self, route: str, args: dict[str, Any]) -> dict[str, Any]:
        """An RPC endpoint's JSON answer."""
        response = await self._send(route, f"{self.api}/2/{route}", json=args)
        answer = response.json() if response.content else {}
        return answer if isinstance(answer, dict) else {"value": answer}

    async def upload(self, route: str, args: dict[str, Any] | None, data: bytes) -> dict[str, Any]:
        """A content upload endpoint (`upload`, `upload_session/*`): the body is `data`."""
        headers = {"Content-Type": "application/octet-stream"}
        if args is not None:
            headers["Dropbox-API-Arg"] = json.dumps(args)  # json.dumps escapes non-ASCII, as the header must be
        response = await self._send(route, f"{self.content}/2/{route}", content=data, headers=headers)
        answer = response.json() if response.content else {}
        return answer if isinstance(answer, dict) else {}

    async def upload_file(self, local: Path, args: dict[str, Any]) -> dict[str, Any]:
        """Upload `local` to `args["path"]` with `args`' mode and autorename: one request, or a session in CHUNKs."""
        size = local.stat().st_size
        with local.open("rb") as source:
            if size <= CHUNK:
                return await self.upload("files/upload", args, source.read())
            return await self._session(source, args)

    async def _session(self, source: IO[bytes], args: dict[str, Any]) -> dict[str, Any]:
        started = await self.upload("files/upload_session/start", {"close": False}, source.read(CHUNK))
        cursor = {"session_id": started["session_id"], "offset": source.tell()}
        while block := source.read(CHUNK):
            following = source.read(1)
            if not following:  # the last block goes with finish
                return await self.upload("files/upload_session/finish", {"cursor": cursor, "commit": args}, block)
            source.seek(-1, 1)
            await self.upload("files/upload_session/append_v2", {"cursor": cursor, "close": False}, block)
            cursor = {**cursor, "offset": source.tell()}
        return await self.upload("files/upload_session/finish", {"cursor": cursor, "commit": args}, b"")

    @asynccontextmanager
    async def download(self, path: str) -> AsyncIterator[tuple[dict[str, Any], httpx.Response]]:
        """The file at `path`: its metadata (Dropbox-API-Result) and the streamed answer."""
        url = f"{self.content}/2/files/download"
        for attempt in range(_RETRIES):
            request = self._http.build_request("POST", url, headers={"Dropbox-API-Arg": json.dumps({"path": path})})
            response = await self._http.send(request, stream=True)
            try:
                if response.status_code in (429, 503) and attempt < _RETRIES - 1:
                    await asyncio.sleep(_delay(response))
                    continue
                if response.status_code != 200:
                    await response.aread()
                    raise _failure("files/download", response)
                meta = json.loads(response.headers.get("dropbox-api-result") or "{}")
                yield meta, response
                return
            finally:
                await response.aclose()

    async def _send(self, route: str, url: str, **kwargs: Any) -> httpx.Response:
        for attempt in range(_RETRIES):
            try:
                response = await self._http.post(url, **kwargs)
            except (httpx.TransportError, httpx.TimeoutException) as exc:
                raise TaskFailed(f"Dropbox: {route} failed: {exc}") from None
            if response.status_code in (429, 503) and attempt < _RETRIES - 1:
                await asyncio.sleep(_delay(response))
                continue
            if response.status_code != 200:
                raise _failure(route, response)
            return response
        raise AssertionError("unreachable")  # pragma: no cover


def _delay(response: httpx.Response) -> float:
    try:
        return min(60.0, float(response.headers.get("retry-after") or 1))
    except ValueError:
        return 1.0


def _failure(route: str, response: httpx.Response) -> DropboxError:
    try:
        answer = response.json()
    except ValueError:
        answer = None
    summary = str(answer.get("error_summary") or "") if isinstance(answer, dict) else ""
    if response.status_code == 401:
        return DropboxError(f"Dropbox: invalid access token ({route} answered 401: {summary or response.text[:200]}); "
                            "check the accessToken secret", summary)
    if response.status_code == 429:
        return DropboxError(f"Dropbox: rate limit exceeded ({route}); wait before trying again", summary)
    detail = summary or response.text[:300]
    return DropboxError(f"Dropbox: {route} answered HTTP {response.status_code}: {detail}", summary)


def entry(metadata: dict[str, Any]) -> dict[str, Any]:
    """Kestra's DropboxFile of a metadata answer: name, id (the lower-case path), path (the display path),
    type (file or folder), size and clientModified (files only)."""
    tag = metadata.get(".tag")
    kind = "folder" if tag == "folder" else "file" if tag == "file" or "size" in metadata else tag
    found = {"name": metadata.get("name"), "id": metadata.get("path_lower"), "path": metadata.get("path_display"),
             "type": kind}
    if kind == "file":
        found.update(size=metadata.get("size"), clientModified=metadata.get("client_modified"))
    return found


def file_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """A file's whole metadata with Kestra's (the Java SDK's) camelCase names: name, id, pathLower, pathDisplay,
    clientModified, serverModified, rev, size, contentHash..."""
    return {_camel(k): v for k, v in metadata.items() if k != ".tag"}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
