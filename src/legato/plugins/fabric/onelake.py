"""io.kestra.plugin.microsoft.fabric.onelake.Upload, Download and Delete: a file under an item's `Files/` folder
in OneLake, through OneLake's ADLS Gen2 API (`https://onelake.dfs.fabric.microsoft.com/{workspaceId}/{itemId}/
Files/{filePath}`, a storage token): Path Create (PUT `?resource=file`), Path Update (PATCH `?action=append&
position=` per 4 MiB block, then `?action=flush&position=<size>`), Path Read (GET) and Path Delete (DELETE
`?recursive=`). Files stream in blocks both ways: memory stays bounded whatever their size."""

from __future__ import annotations

import asyncio
import posixpath
import tempfile
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

import httpx
from pydantic import Field

from legato.model.task import TASKS
from legato.plugins import objectstore
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import httpclient
from legato.plugins.core.storage_files import output_uri
from legato.plugins.fabric.connection import ONELAKE, STORAGE_SCOPE, FabricTask, fail_message
from legato.plugins.runnable import Expression, render_as, render_text
from legato.storage import StorageError

API_VERSION = "2023-11-03"  # x-ms-version of the Data Lake Storage REST API
BLOCK = 4 << 20


class OneLakeTask(FabricTask):
    """A file of an item's Files folder."""

    workspaceId: str = Field(description="The Fabric workspace's id (a GUID); OneLake's file system.")
    itemId: str = Field(description="The Lakehouse (or other item) id within the workspace.")
    filePath: str = Field(description="The file's path under the item's `Files/` folder (a leading `/` is dropped).")
    oneLakeEndpoint: str = Field(default=ONELAKE, description="Legato: OneLake's DFS endpoint (a proxy, a test double).")

    def location(self, ctx: RunContext) -> tuple[str, str, str]:
        """Workspace, item and path under Files/."""
        return (render_text(ctx, self.workspaceId), render_text(ctx, self.itemId),
                render_text(ctx, self.filePath).lstrip("/"))

    def url(self, ctx: RunContext, workspace: str, item: str, path: str) -> str:
        base = render_text(ctx, self.oneLakeEndpoint).rstrip("/")
        return f"{base}/{quote(workspace)}/{quote(item)}/Files/{quote(path)}"

    async def client(self, ctx: RunContext) -> httpx.AsyncClient:
        token = await self.token(ctx, STORAGE_SCOPE)
        return httpclient.client(timeout=httpx.Timeout(120.0),
                                 headers={"Authorization": f"Bearer {token}", "x-ms-version": API_VERSION})


async def _call(client: httpx.AsyncClient, method: str, url: str, what: str, ok: tuple[int, ...],
                **kwargs: Any) -> httpx.Response:
    try:
        response = await client.request(method, url, **kwargs)
    except (httpx.TransportError, httpx.TimeoutException) as exc:
        raise TaskFailed(f"OneLake: {what} failed: {exc}") from None
    if response.status_code not in ok:
        raise _failure(response, what)
    return response


def _failure(response: httpx.Response, what: str) -> TaskFailed:
    """The error of an answer other than the one expected, with OneLake's `error.message` when it gave one."""
    try:
        answer = response.json()
        body: Any = answer.get("error", answer) if isinstance(answer, dict) else answer
    except ValueError:
        body = response.text
    return TaskFailed(f"OneLake: {what} answered HTTP {response.status_code}: {fail_message(body)[:300]}")


def _metric(ctx: RunContext, size: int) -> None:
    ctx.effects.extra.setdefault("metrics", []).append({"name": "file.size", "type": "counter", "value": size})


@TASKS.register
class Upload(OneLakeTask):
    """Upload a file of internal storage to `Files/{filePath}` of a Lakehouse (replacing one already there);
    outputs `uri`, the file's abfss:// address."""

    TYPE: ClassVar[str] = "io.kestra.plugin.microsoft.fabric.onelake.Upload"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: upload_to_onelake
type: io.kestra.plugin.microsoft.fabric.onelake.Upload
tenantId: "{{ secret('FABRIC_TENANT_ID') }}"
clientId: "{{ secret('FABRIC_CLIENT_ID') }}"
clientSecret: "{{ secret('FABRIC_CLIENT_SECRET') }}"
workspaceId: "{{ vars.workspace_id }}"
itemId: "{{ vars.lakehouse_id }}"
from: "{{ outputs.extract.uri }}"
filePath: "raw/orders/{{ now() | dateFormat('yyyy-MM-dd') }}/orders.csv"
""",
    )

    from_: str = Field(alias="from", description="The internal-storage URI of the file to upload.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        workspace, item, path = self.location(ctx)
        source = objectstore.sources(ctx, self.from_)[0]
        url = self.url(ctx, workspace, item, path)
        ctx.logger.info(f"Uploading {source} to OneLake {workspace}/{item}/Files/{path}")
        with tempfile.TemporaryDirectory(prefix="legato-onelake-") as folder:
            local = await asyncio.to_thread(objectstore.local_copy, ctx, source, Path(folder))
            async with await self.client(ctx) as client:
                await _call(client, "PUT", url, f"creating Files/{path}", (200, 201), params={"resource": "file"})
                size = 0
                with local.open("rb") as data:
                    while block := data.read(BLOCK):
                        await _call(client, "PATCH", url, f"writing Files/{path}", (202,), content=block,
                                    params={"action": "append", "position": str(size)})
                        size += len(block)
                await _call(client, "PATCH", url, f"committing Files/{path}", (200,),
                            params={"action": "flush", "position": str(size)})
        _metric(ctx, size)
        return {"uri": f"abfss://{workspace}@onelake.dfs.fabric.microsoft.com/{item}/Files/{path}"}


@TASKS.register
class Download(OneLakeTask):
    """Download `Files/{filePath}` of a Lakehouse to internal storage; outputs `uri` and `size` (bytes)."""

    TYPE: ClassVar[str] = "io.kestra.plugin.microsoft.fabric.onelake.Download"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: download_from_onelake
type: io.kestra.plugin.microsoft.fabric.onelake.Download
tenantId: "{{ secret('FABRIC_TENANT_ID') }}"
clientId: "{{ secret('FABRIC_CLIENT_ID') }}"
clientSecret: "{{ secret('FABRIC_CLIENT_SECRET') }}"
workspaceId: "{{ vars.workspace_id }}"
itemId: "{{ vars.lakehouse_id }}"
filePath: silver/features/latest.parquet
""",
    )

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        workspace, item, path = self.location(ctx)
        url = self.url(ctx, workspace, item, path)
        ctx.logger.info(f"Downloading from OneLake {workspace}/{item}/Files/{path}")
        with tempfile.TemporaryDirectory(prefix="legato-onelake-") as folder:
            local = Path(folder) / "file"
            async with await self.client(ctx) as client:
                try:
                    async with client.stream("GET", url) as response:
                        if response.status_code != 200:
                            await response.aread()
                            raise _failure(response, f"reading Files/{path}")
                        with local.open("wb") as out:
                            async for chunk in response.aiter_bytes(BLOCK):
                                out.write(chunk)
                except (httpx.TransportError, httpx.TimeoutException) as exc:
                    raise TaskFailed(f"OneLake: reading Files/{path} failed: {exc}") from None
            size = local.stat().st_size
            name = posixpath.basename(path) or "file"
            try:
                uri = await asyncio.to_thread(ctx.storage.put_file, output_uri(ctx, name), local)
            except StorageError as exc:
                raise TaskFailed(str(exc)) from None
        _metric(ctx, size)
        return {"uri": uri, "size": size}


@TASKS.register
class Delete(OneLakeTask):
    """Delete `Files/{filePath}` of a Lakehouse; `recursive` deletes a folder and what it holds."""

    TYPE: ClassVar[str] = "io.kestra.plugin.microsoft.fabric.onelake.Delete"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: delete_file
type: io.kestra.plugin.microsoft.fabric.onelake.Delete
tenantId: "{{ secret('FABRIC_TENANT_ID') }}"
clientId: "{{ secret('FABRIC_CLIENT_ID') }}"
clientSecret: "{{ secret('FABRIC_CLIENT_SECRET') }}"
workspaceId: "{{ vars.workspace_id }}"
itemId: "{{ vars.lakehouse_id }}"
filePath: data/myfile.csv
""",
    )

    recursive: bool | Expression = Field(default=False, description="Delete a folder with everything under it.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        workspace, item, path = self.location(ctx)
        recursive = render_as(ctx, self.recursive, bool, "recursive")
        ctx.logger.info(f"Deleting from OneLake {workspace}/{item}/Files/{path}")
        async with await self.client(ctx) as client:
            await _call(client, "DELETE", self.url(ctx, workspace, item, path), f"deleting Files/{path}", (200,),
                        params={"recursive": "true" if recursive else "false"})
        return {}
