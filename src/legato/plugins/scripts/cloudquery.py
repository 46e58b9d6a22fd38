"""Kestra's CloudQuery tasks (`io.kestra.plugin.cloudquery.*`). `CloudQueryCLI` runs `cloudquery` command lines;
`Sync` writes each of `configs` (a map, or the internal-storage URI of a YAML file) to a YAML file of the working
directory and runs `cloudquery sync <files> --log-console`. With `incremental`, the sources keep their cursor in a
SQLite backend (a `kestra_incremental_db` sqlite destination and `backend_options` added to each source spec),
whose file is saved to the namespace's KV store after the run and restored before the next one
(`<flow>_states_CloudQueryState`, a base64 STRING). Container runners use ghcr.io/cloudquery/cloudquery:latest-ubuntu,
where the binary is /app/cloudquery; the process runner needs `cloudquery` on the worker's PATH."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any, ClassVar

import yaml
from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import storage_stream as stream
from legato.plugins.runnable import Expression, render_bool
from legato.plugins.scripts.base import ScriptBase, Tooling
from legato.plugins.scripts.clis import ToolCommands
from legato.plugins.scripts.protocol import Collector
from legato.plugins.scripts.templates import RunTemplates
from legato.runners.base import Runner

IMAGE = "ghcr.io/cloudquery/cloudquery:latest-ubuntu"
IMAGE_BINARY = "/app/cloudquery"
DB_FILE = "incrementaldb.sqlite"
STATE = "CloudQueryState"
_ALIAS = f"if [ -x {IMAGE_BINARY} ]; then alias cloudquery={IMAGE_BINARY}; fi"


@TASKS.register
class CloudQueryCLI(ToolCommands):
    """Run CloudQuery command lines (`cloudquery sync config.yml --log-console`)."""

    TYPE: ClassVar[str] = "cloudquery.CloudQueryCLI"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.cloudquery.CloudQueryCLI",)
    DEFAULT_IMAGE: ClassVar[str] = IMAGE
    TOOL: ClassVar[str] = "cloudquery"
    EXAMPLES: ClassVar[tuple[str, ...]] = ("""\
id: hn_to_duckdb
type: io.kestra.plugin.cloudquery.CloudQueryCLI
env:
  CLOUDQUERY_API_KEY: "{{ secret('CLOUDQUERY_API_KEY') }}"
inputFiles:
  config.yml: |
    kind: source
    spec:
      name: hackernews
      path: cloudquery/hackernews
      version: v3.0.13
      tables: ["*"]
      destinations: [duckdb]
    ---
    kind: destination
    spec:
      name: duckdb
      path: cloudquery/duckdb
      version: v4.2.10
      spec:
        connection_string: hn.db
commands:
  - cloudquery sync config.yml --log-console
""",)

    async def tooling(self, ctx: RunContext, runner: Runner, workdir: Path) -> Tooling:
        await super().tooling(ctx, runner, workdir)
        return Tooling(before=[_ALIAS] if runner.name == "docker" else [])


@TASKS.register
class Sync(ScriptBase):
    """Sync CloudQuery sources to destinations from `configs`, optionally incrementally (state kept in KV)."""

    TYPE: ClassVar[str] = "cloudquery.Sync"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.cloudquery.Sync",)
    DEFAULT_IMAGE: ClassVar[str] = IMAGE
    EXAMPLES: ClassVar[tuple[str, ...]] = ("""\
id: hn_to_duckdb
type: io.kestra.plugin.cloudquery.Sync
incremental: true
env:
  CLOUDQUERY_API_KEY: "{{ secret('CLOUDQUERY_API_KEY') }}"
configs:
  - kind: source
    spec:
      name: hackernews
      path: cloudquery/hackernews
      version: v3.0.13
      tables: ["*"]
      destinations: [duckdb]
  - kind: destination
    spec:
      name: duckdb
      path: cloudquery/duckdb
      version: v4.2.10
      spec:
        connection_string: hn.db
""",)

    configs: list[dict[str, Any] | str] | Expression = Field(min_length=1, description="CloudQuery configurations: maps, or internal-storage URIs of YAML files (rendered).")
    incremental: bool | Expression = Field(default=False, description="Keep the sources' cursors between runs (a SQLite backend saved in the namespace's KV store).")
    logConsole: bool | Expression = Field(default=True, description="Add --log-console (CloudQuery's log on the task's log).")

    def _state_key(self, ctx: RunContext) -> str:
        return f"{re.sub(r'[^a-z0-9]+', '-', ctx.execution.flow_id.lower()).strip('-')}_states_{STATE}"

    def _configs(self, ctx: RunContext, incremental: bool) -> list[dict[str, Any]]:
        given = ctx.render(self.configs)
        if not isinstance(given, list):
            raise TaskFailed("property 'configs' must be a list of maps or internal-storage URIs")
        out: list[dict[str, Any]] = []
        for item in given:
            if isinstance(item, str):
                with stream.opened(ctx, item.strip()) as handle:
                    loaded = yaml.safe_load(handle.read().decode("utf-8"))
                if not isinstance(loaded, dict):
                    raise TaskFailed(f"configs: {item} is not a YAML map")
                item = loaded
            if not isinstance(item, dict):
                raise TaskFailed(f"configs: each item must be a map or a URI, not {type(item).__name__}")
            config = dict(item)
            if incremental and config.get("kind") == "source" and isinstance(config.get("spec"), dict):
                spec = dict(config["spec"])
                spec.setdefault("backend_options", {"table_name": "kestra_incremental_table",
                                                    "connection": "@@plugins.kestra_incremental_db.connection"})
                config["spec"] = spec
            out.append(config)
        if incremental:
            out.append({"kind": "destination", "spec": {"name": "kestra_incremental_db", "path": "cloudquery/sqlite",
                                                         "version": "v2.4.10", "spec": {"connection_string": DB_FILE}}})
        return out

    async def tooling(self, ctx: RunContext, runner: Runner, workdir: Path) -> Tooling:
        if render_bool(ctx, self.incremental, "incremental"):
            saved = ctx.kv.get(self._state_key(ctx))
            data = base64.b64decode(str(saved[1])) if saved is not None and saved[1] else b""
            (workdir / DB_FILE).write_bytes(data)
        return Tooling(before=[_ALIAS] if runner.name == "docker" else [])

    def main_lines(self, ctx: RunContext, templates: RunTemplates, workdir: Path) -> tuple[list[str], set[str]]:
        incremental = render_bool(ctx, self.incremental, "incremental")
        names = []
        for n, config in enumerate(self._configs(ctx, incremental)):
            name = f"cloudquery-config-{n}.yml"
            (workdir / name).write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
            names.append(name)
        line = ["cloudquery", "sync", *names]
        if render_bool(ctx, self.logConsole, "logConsole"):
            line.append("--log-console")
        return [" ".join(line)], {*names, DB_FILE}

    async def after_command(self, ctx: RunContext, workdir: Path, code: int, collector: Collector,
                            prefix: str) -> dict[str, str]:
        db = workdir / DB_FILE
        if code == 0 and render_bool(ctx, self.incremental, "incremental") and db.is_file():
            ctx.kv.set(self._state_key(ctx), base64.b64encode(db.read_bytes()).decode(), type="STRING", ttl_seconds=None)
        return {}
