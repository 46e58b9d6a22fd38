"""http.Request and http.Download: call an HTTP endpoint, keep the answer as outputs or as a file in internal
storage. Every connection goes through the SSRF guard of `httpclient`'s transport."""

from __future__ import annotations

import asyncio
import base64
import email.message
import functools
import json
import shutil
import tempfile
import urllib.parse
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any, BinaryIO, ClassVar, Literal, TypeVar

import httpx
from pydantic import Field

from legato.model.durations import Duration
from legato.model.task import TASKS, Frozen
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import httpclient
from legato.plugins.core.storage_files import output_uri
from legato.plugins.runnable import (
    RunnableTask,
    render_optional_text,
    render_text,
    task_timeout,
)

_MAX_BODY = 10 << 20  # Request keeps the body in its outputs: beyond this, use Download

T = TypeVar("T")
Keep = Callable[[httpx.Response], Awaitable[T]]  # reads the answer: as text, or into a file


class BasicAuth(Frozen):
    type: Literal["BASIC"] = Field(description="BASIC.")
    username: str = Field(description="User name (rendered).")
    password: str = Field(description="Password (rendered).")


class BearerAuth(Frozen):
    type: Literal["BEARER"] = Field(description="BEARER.")
    token: str = Field(description="The token (rendered).")


class DigestAuth(Frozen):
    type: Literal["DIGEST"] = Field(description="DIGEST (RFC 7616): answered when the server asks for it.")
    username: str = Field(description="User name (rendered).")
    password: str = Field(description="Password (rendered).")


Auth = Annotated[BasicAuth | BearerAuth | DigestAuth, Field(discriminator="type")]


class RequestOptions(Frozen):
    auth: Auth | None = Field(default=None, description="BASIC (username, password), BEARER (token) or DIGEST "
                                                        "(username, password), as in Kestra's `options.auth`.")
    connectTimeout: Duration | None = Field(default=None, description="Time allowed to connect (ISO-8601), per attempt.")
    readTimeout: Duration | None = Field(default=None, description="Time allowed between two reads of the answer.")
    followRedirects: bool = Field(default=True, description="Follow 3xx redirects (each target is checked by the guard).")
    allowFailed: bool | None = Field(default=None, description="Succeed whatever the status code.")
    allowedResponseCodes: list[int] | None = Field(default=None, description="Status codes that count as success (default: 2xx, and 3xx when not followed).")
    basicAuthUser: str | None = Field(default=None, description="Basic auth user name (Kestra's older form).")
    basicAuthPassword: str | None = Field(default=None, description="Basic auth password (Kestra's older form).")
    readIdleTimeout: Duration | None = Field(default=None, description="Deprecated in Kestra: accepted and ignored (readTimeout bounds the reads).")
    connectionPoolIdleTimeout: Duration | None = Field(default=None, description="Deprecated in Kestra: accepted and ignored (no connection is pooled).")


class SslOptions(Frozen):
    insecureTrustAllCertificates: bool = Field(default=False, description="Accept any TLS certificate (test servers only).")


class _HttpTask(RunnableTask):
    uri: str = Field(description="The URL to call (rendered).")
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] = Field(default="GET", description="HTTP method.")
    headers: dict[str, Any] | None = Field(default=None, description="Request headers (values rendered).")
    body: str | None = Field(default=None, description="Request body (rendered); a JSON body needs contentType application/json.")
    formData: dict[str, Any] | None = Field(default=None, description="Fields sent as application/x-www-form-urlencoded (values rendered); with contentType multipart/form-data, a multipart form where a kestra:// value, or {name, content: kestra://...}, sends that file of internal storage.")
    contentType: str | None = Field(default=None, description="Content-Type of the body.")
    auth: Auth | None = Field(default=None, description="BASIC (username, password), BEARER (token) or DIGEST; the same as `options.auth`.")
    options: RequestOptions = Field(default_factory=RequestOptions, description="Timeouts, redirects and accepted status codes.")
    allowFailed: bool = Field(default=False, description="Succeed whatever the status code.")
    sslOptions: SslOptions | None = Field(default=None, description="TLS options.")

    async def build(self, ctx: RunContext, http: httpx.AsyncClient, files: ExitStack) -> tuple[str, httpx.Request]:
        """The rendered URL and the request to send; the files of a multipart form stay open in `files`."""
        url = render_text(ctx, self.uri)
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise TaskFailed(f"property 'uri' must be an http:// or https:// URL, not {url!r}")
        headers = {str(k): ctx.render_string(v) for k, v in (self.headers or {}).items()}
        content_type = ctx.render_string(self.contentType) if self.contentType else None
        data: bytes | None = None
        form: dict[str, str] | None = None
        parts: dict[str, tuple[str, BinaryIO]] | None = None
        if self.formData is not None and (content_type or "").startswith("multipart/form-data"):
            form, parts = await _multipart(ctx, ctx.render(self.formData), files)
            content_type = None  # httpx writes it, with the boundary
        elif self.formData is not None:
            fields = {str(k): _text(v) for k, v in ctx.render(self.formData).items()}
            data = urllib.parse.urlencode(fields).encode()
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        elif self.body is not None:
            data = ctx.render_string(self.body).encode()
        if content_type:
            headers["Content-Type"] = content_type
        authorization = self._authorization(ctx)
        if authorization:
            headers["Authorization"] = authorization
        try:
            return url, http.build_request(self.method, url, headers=headers, content=data, data=form, files=parts)
        except httpx.InvalidURL as exc:
            raise TaskFailed(f"property 'uri' is not a valid URL: {exc}") from None

    def _authorization(self, ctx: RunContext) -> str | None:
        match self.auth or self.options.auth:
            case BasicAuth(username=user, password=password):
                return _basic(ctx.render_string(user), ctx.render_string(password))
            case BearerAuth(token=token):
                return f"Bearer {ctx.render_string(token)}"
            case DigestAuth():
                return None  # answered to the server's challenge (_digest)
        if self.options.basicAuthUser is not None:
            return _basic(ctx.render_string(self.options.basicAuthUser), ctx.render_string(self.options.basicAuthPassword or ""))
        return None

    async def call(self, ctx: RunContext, keep: Keep[T]) -> tuple[int, dict[str, list[str]], T]:
        """Send the request; `keep(response)` reads the answer. Fails on a status code that is not accepted."""
        total = task_timeout(ctx, self)  # the task's own timeout bounds the whole call
        verify = not (self.sslOptions and self.sslOptions.insecureTrustAllCertificates)
        for name in ("readIdleTimeout", "connectionPoolIdleTimeout"):
            if getattr(self.options, name) is not None:
                ctx.logger.warn(f"options.{name} is deprecated in Kestra and ignored by Legato")
        timeout = httpclient.timeout(self.options.connectTimeout, self.options.readTimeout)
        async with httpclient.client(timeout=timeout, verify=verify, auth=self._digest(ctx),
                                     follow_redirects=self.options.followRedirects) as http:
            with ExitStack() as files:
                url, request = await self.build(ctx, http, files)
                try:
                    code, headers, kept = await asyncio.wait_for(
                        _exchange(http, request, url, keep), total.total_seconds() if total else None)
                except TimeoutError:
                    raise TaskFailed(f"{self.method} {url} timed out") from None
        ctx.logger.debug(f"{self.method} {url} -> {code}")
        if not self._accepted(code):
            detail = kept if isinstance(kept, str) else ""
            raise TaskFailed(f"{self.method} {url} answered {code}" + (f": {detail[:500]}" if detail else ""))
        return code, headers, kept

    def _digest(self, ctx: RunContext) -> httpx.DigestAuth | None:
        auth = self.auth or self.options.auth
        if not isinstance(auth, DigestAuth):
            return None
        return httpx.DigestAuth(ctx.render_string(auth.username), ctx.render_string(auth.password))

    def _accepted(self, code: int) -> bool:
        if self.allowFailed or self.options.allowFailed:
            return True
        if self.options.allowedResponseCodes:
            return code in self.options.allowedResponseCodes
        return 200 <= code < 300 or (not self.options.followRedirects and 300 <= code < 400)


@TASKS.register
class Request(_HttpTask):
    """Call an HTTP endpoint; the status code, headers and body become outputs."""

    TYPE: ClassVar[str] = "http.Request"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.http.Request", "io.kestra.plugin.fs.http.Request",
                                          "io.kestra.core.tasks.http.Request")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: create_order
type: io.kestra.plugin.core.http.Request
uri: https://api.example.com/orders
method: POST
contentType: application/json
body: '{"item": "{{ inputs.item }}"}'
auth:
  type: BEARER
  token: "{{ secret('API_TOKEN') }}"
options:
  allowedResponseCodes: [200, 201]
""",
    )

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        code, headers, body = await self.call(ctx, _read_text)
        return {"code": code, "headers": headers, "body": body, "uri": render_text(ctx, self.uri)}


@TASKS.register
class Download(_HttpTask):
    """Download a URL into internal storage; `uri` in the outputs is the stored file."""

    TYPE: ClassVar[str] = "http.Download"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.http.Download", "io.kestra.plugin.fs.http.Download",
                                          "io.kestra.core.tasks.http.Download")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: download
type: io.kestra.plugin.core.http.Download
uri: https://huggingface.co/datasets/kestra/datasets/raw/main/csv/orders.csv
""",
    )

    failOnEmptyResponse: bool = Field(default=True, description="Fail when the answer has no body.")
    saveAs: str | None = Field(default=None, description="Name of the stored file; else the answer's Content-Disposition file name, else the last part of the URL path.")
    fileName: str | None = Field(default=None, description="The older name of `saveAs`.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        folder = Path(tempfile.mkdtemp(prefix="legato-download-"))
        try:
            code, headers, path = await self.call(ctx, functools.partial(_save, target=folder / "body"))
            length = path.stat().st_size
            if length == 0 and self.failOnEmptyResponse:
                raise TaskFailed(f"{render_text(ctx, self.uri)} answered {code} with an empty body")
            name = (render_optional_text(ctx, self.saveAs) or render_optional_text(ctx, self.fileName)
                    or _disposition_name(headers) or _file_name(render_text(ctx, self.uri)))
            uri = await asyncio.to_thread(ctx.storage.put_file, output_uri(ctx, name), path)
        finally:
            await asyncio.to_thread(shutil.rmtree, folder, True)
        return {"uri": uri, "code": code, "length": length, "headers": headers}


async def _multipart(ctx: RunContext, values: dict[str, Any],
                     files: ExitStack) -> tuple[dict[str, str], dict[str, tuple[str, BinaryIO]]]:
    """Kestra's multipart formData: a `kestra://` value, or `{name, content: kestra://...}`, is a file of internal
    storage (copied to a local file first, then streamed); any other value a text field (JSON when not text)."""
    fields: dict[str, str] = {}
    parts: dict[str, tuple[str, BinaryIO]] = {}
    folder: Path | None = None
    for key, value in values.items():
        match value:
            case str() if value.startswith("kestra://"):
                uri, name = value, _file_name(value)
            case {"name": name, "content": str(uri)}:
                name = str(name)
            case _:
                fields[str(key)] = _text(value)
                continue
        folder = folder or Path(files.enter_context(tempfile.TemporaryDirectory(prefix="legato-form-")))
        local = await asyncio.to_thread(ctx.storage.download, uri, folder / str(len(parts)))
        parts[str(key)] = (name, files.enter_context(local.open("rb")))
    return fields, parts


async def _exchange(http: httpx.AsyncClient, request: httpx.Request, url: str,
                    keep: Keep[T]) -> tuple[int, dict[str, list[str]], T]:
    async with httpclient.exchange(http, request, url) as response:
        return response.status_code, httpclient.header_lists(response), await keep(response)


async def _read_text(response: httpx.Response) -> str:
    raw = await httpclient.read_upto(response, _MAX_BODY + 1)
    if len(raw) > _MAX_BODY:
        raise TaskFailed(f"the answer is larger than {_MAX_BODY >> 20} MB: use io.kestra.plugin.core.http.Download")
    # a string, as in Kestra: flows read JSON with `json(outputs.x.body)` or `| jq(...)`
    return httpclient.text(response, raw)


async def _save(response: httpx.Response, target: Path) -> Path:
    """The body streamed to `target`, a chunk at a time: a download never sits whole in memory."""
    with target.open("wb") as handle:
        async for chunk in response.aiter_bytes(1 << 20):
            await asyncio.to_thread(handle.write, chunk)
    return target


def _disposition_name(headers: dict[str, list[str]]) -> str | None:
    """The file name a Content-Disposition header gives (RFC 6266: `filename*=UTF-8''...` first, else `filename=`),
    its last path part only."""
    value = next((v[0] for k, v in headers.items() if k.lower() == "content-disposition" and v), None)
    if not value:
        return None
    message = email.message.Message()
    message["content-disposition"] = value
    name = message.get_filename()
    name = Path(name.replace("\\", "/")).name if name else None
    return name if name and name not in (".", "..") else None


def _file_name(url: str) -> str:
    name = urllib.parse.unquote(Path(urllib.parse.urlsplit(url).path).name)
    return name if name and name not in (".", "..") else "download"


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return "" if value is None else str(value)
