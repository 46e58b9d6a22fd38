"""Snowflake stages (`io.kestra.plugin.jdbc.snowflake.Upload` / `Download`): a stored file PUT to a stage and a
staged file GET back into internal storage, through the connector's PUT and GET commands."""

from __future__ import annotations

import gzip
import shutil
import tempfile
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core.storage_files import source_uri
from legato.plugins.jdbc import engine
from legato.plugins.jdbc.tasks import JdbcConnection, session
from legato.plugins.jdbc.warehouses import SnowflakeConnection
from legato.plugins.jdbc.workspace import put
from legato.plugins.runnable import Expression, render_bool
from legato.plugins.scripts.files import inside

_HEAD = ("url: jdbc:snowflake://myaccount.snowflakecomputing.com\nusername: \"{{ secret('SNOWFLAKE_USERNAME') }}\"\n"
         "password: \"{{ secret('SNOWFLAKE_PASSWORD') }}\"\nwarehouse: COMPUTE_WH\ndatabase: DEMO\nschema: PUBLIC\n")


def _quoted(text: str) -> str:
    """A PUT/GET location: as it is, or quoted when it holds spaces (Snowflake's rule)."""
    if not any(c.isspace() for c in text):
        return text
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


@TASKS.register
class Upload(SnowflakeConnection, JdbcConnection):
    """PUT a file of internal storage to a Snowflake stage; `uri` is its staged path."""

    TYPE: ClassVar[str] = "jdbc.snowflake.Upload"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.jdbc.snowflake.Upload",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: stage\ntype: io.kestra.plugin.jdbc.snowflake.Upload\n" + _HEAD
        + "from: \"{{ outputs.extract.uri }}\"\nstageName: \"@demo_stage\"\nprefix: raw\nfileName: orders.csv\n",
    )

    from_: str = Field(alias="from", description="URI of the file in internal storage.")
    stageName: str = Field(description="The stage, e.g. @my_stage or @~ (the user's stage).")
    prefix: str = Field(description="Folder in the stage.")
    fileName: str = Field(description="Name of the staged file.")
    compress: bool | Expression = Field(default=True, description="Gzip the file on the way (the staged name gets .gz).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        uri = source_uri(ctx, self.from_)
        stage, prefix, name = (ctx.render_string(v).strip() for v in (self.stageName, self.prefix, self.fileName))
        compress = render_bool(ctx, self.compress, "compress")
        with self.opened(ctx) as (ws, url, how):
            local = inside(ws.dir, name, "fileName")
            ctx.storage.download(uri, local)
            target = f"{stage.rstrip('/')}/{prefix.strip('/')}" if prefix.strip("/") else stage
            statement = (f"PUT {_quoted('file://' + str(local))} {_quoted(target)} "
                         f"AUTO_COMPRESS={'TRUE' if compress else 'FALSE'} OVERWRITE=TRUE")

            def work(cancel: engine.Cancel) -> None:
                with session(self.DRIVER, url, how, cancel) as s:
                    engine.execute(s, statement, None, engine.Fetch("NONE"), lambda path: "")

            await engine.in_thread(work)
        staged = f"{prefix.rstrip('/')}/{name}{'.gz' if compress else ''}"
        ctx.logger.info(f"Uploaded to stage {stage} as {staged}")
        return {"uri": staged}


@TASKS.register
class Download(SnowflakeConnection, JdbcConnection):
    """GET a staged file into internal storage; `uri` is its URI there."""

    TYPE: ClassVar[str] = "jdbc.snowflake.Download"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.jdbc.snowflake.Download",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: fetch\ntype: io.kestra.plugin.jdbc.snowflake.Download\n" + _HEAD
        + "stageName: \"@demo_stage\"\nfileName: raw/orders.csv.gz\n",
    )

    stageName: str = Field(description="The stage, e.g. @my_stage.")
    fileName: str = Field(description="Path of the file in the stage.")
    compress: bool | Expression = Field(default=True, description="The staged file is gzipped: decompress it.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        stage, name = ctx.render_string(self.stageName).strip(), ctx.render_string(self.fileName).strip().lstrip("/")
        decompress = render_bool(ctx, self.compress, "compress")
        with self.opened(ctx) as (ws, url, how):
            folder = Path(tempfile.mkdtemp(dir=ws.dir))
            statement = f"GET {_quoted(stage.rstrip('/') + '/' + name)} {_quoted('file://' + str(folder) + '/')}"

            def work(cancel: engine.Cancel) -> None:
                with session(self.DRIVER, url, how, cancel) as s:
                    engine.execute(s, statement, None, engine.Fetch("NONE"), lambda path: "")

            await engine.in_thread(work)
            got = sorted(p for p in folder.iterdir() if p.is_file())
            if not got:
                raise TaskFailed(f"stage {stage} has no file {name!r}")
            local = got[0]
            if decompress and local.suffix == ".gz":
                plain = local.with_suffix("")
                with gzip.open(local, "rb") as source, plain.open("wb") as target:
                    shutil.copyfileobj(source, target)
                local = plain
            return {"uri": put(ctx, local, local.name)}
