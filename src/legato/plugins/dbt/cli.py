"""dbt Core from a flow (Kestra's `io.kestra.plugin.dbt.cli.*`): `DbtCLI` runs dbt command lines as a script
task (same runners, env, inputFiles, namespaceFiles, outputFiles), then reads `target/run_results.json` and
`target/manifest.json` into one entry per dbt node (see results.py). The older one-command tasks (`Build`,
`Run`, `Test`, ...) and `Setup` are kept for flows written before DbtCLI.

Under the process and sandbox runners the `dbt` installed with `legato[dbt]` (dbt-core with the DuckDB and
PostgreSQL adapters) is first on PATH; under a container runner the image's dbt runs."""

from __future__ import annotations

import asyncio
import json
import shlex
import sysconfig
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as installed_version
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar, Literal

import yaml
from pydantic import Field

from legato.model.task import TASKS, Frozen
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.dbt import results
from legato.plugins.dbt.logs import DbtCollector
from legato.plugins.runnable import Expression, render_as, render_bool, render_optional_text
from legato.plugins.scripts import deps, tools
from legato.plugins.scripts.base import CommandLines, ScriptBase, Tooling
from legato.plugins.scripts.files import inside
from legato.plugins.scripts.protocol import Collector
from legato.plugins.scripts.templates import RunTemplates
from legato.runners.base import Runner
from legato.storage.uris import join

_PREFIX = "io.kestra.plugin.dbt.cli"
_CONTAINER_RUNNERS = {"docker", "kubernetes"}


def dbt_scripts_dir() -> Path | None:
    """The folder holding the `dbt` Legato's environment installed, if any."""
    folder = Path(sysconfig.get_path("scripts"))
    return folder if (folder / "dbt").exists() else None


class DbtBase(ScriptBase):
    """What every dbt CLI task shares: profiles, project dir, run-results parsing, dbt on PATH."""

    REQUIRES: ClassVar[tuple[str, ...]] = ("dbt",)
    EXTRA: ClassVar[str] = "dbt"
    DEFAULT_IMAGE: ClassVar[str] = "ghcr.io/kestra-io/dbt"

    profiles: str | None = Field(default=None, description="Content of `profiles.yml`, written to the working directory before the run (replacing one already there).")
    projectDir: str | None = Field(default=None, description="The dbt project's folder, relative to the working directory, when it is not the working directory itself; added to dbt commands as `--project-dir`.")
    parseRunResults: bool | Expression = Field(default=True, description="Read `target/run_results.json` after the run: one entry per dbt node (status, timing, rows affected) in `outputs.nodes`, with its log lines and metrics.")
    containerImage: str | None = Field(default=None, description="Image used by container runners (default ghcr.io/kestra-io/dbt); ignored by the process and sandbox runners, which run the dbt of `legato[dbt]`.")

    def collector(self, ctx: RunContext) -> Collector:
        return DbtCollector(ctx.logger)

    def project_path(self, ctx: RunContext, workdir: Path) -> Path:
        folder = render_optional_text(ctx, self.projectDir)
        return inside(workdir, folder, "projectDir") if folder else workdir

    async def tooling(self, ctx: RunContext, runner: Runner, workdir: Path) -> Tooling:
        env = {"PYTHONUNBUFFERED": "true", "PIP_ROOT_USER_ACTION": "ignore"}
        if "DBT_SEND_ANONYMOUS_USAGE_STATS" not in (self.env or {}):
            env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"  # dbt would otherwise call home at every run
        folder = dbt_scripts_dir()
        path = [folder] if folder is not None and runner.name not in _CONTAINER_RUNNERS else []
        return Tooling(path=path, env=env)

    def write_profiles(self, ctx: RunContext, folder: Path) -> None:
        content = render_optional_text(ctx, self.profiles)
        if not content:
            return
        target = folder / "profiles.yml"
        if target.exists():
            ctx.logger.info("A 'profiles.yml' file already exists in the working directory; it is replaced by the task's 'profiles'.")
        folder.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")

    async def after_command(self, ctx: RunContext, workdir: Path, code: int, collector: Collector,
                            prefix: str) -> dict[str, str]:
        if isinstance(collector, DbtCollector) and collector.warning_seen:
            ctx.effects.warning = True
        target = self.project_path(ctx, workdir) / "target"
        manifest_path, results_path = target / "manifest.json", target / "run_results.json"
        stored: dict[str, str] = {}
        manifest: dict[str, Any] | None = None
        if manifest_path.is_file():
            manifest = await asyncio.to_thread(_load_or_none, ctx, manifest_path)
            await asyncio.to_thread(self.on_manifest, ctx, manifest_path)
            stored["manifest.json"] = await asyncio.to_thread(ctx.storage.put_file, join(prefix, "manifest.json"), manifest_path)
        else:
            ctx.logger.debug(f"no dbt manifest at {manifest_path}")
        if render_bool(ctx, self.parseRunResults, "parseRunResults") and results_path.is_file():
            run_results = await asyncio.to_thread(_load_or_none, ctx, results_path)
            if run_results is not None:
                self._report(ctx, run_results, manifest, collector)
            stored["run_results.json"] = await asyncio.to_thread(ctx.storage.put_file, join(prefix, "run_results.json"), results_path)
        return stored

    def on_manifest(self, ctx: RunContext, path: Path) -> None:
        """What to do with the manifest once the run is over (DbtCLI may store it in the KV store)."""

    def _report(self, ctx: RunContext, run_results: dict[str, Any], manifest: dict[str, Any] | None,
                collector: Collector) -> None:
        try:
            parsed = results.parse(run_results, manifest, ctx.task_run.id)
        except results.ArtifactError as exc:
            ctx.logger.warn(str(exc))
            return
        for level, text in parsed.logs:
            {"ERROR": ctx.logger.error, "WARN": ctx.logger.warn}.get(level, ctx.logger.info)(text)
        collector.metrics.extend(parsed.metrics)
        ctx.effects.extra["dbtNodes"] = parsed.nodes

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        try:
            outputs = await super().run(ctx)
        except TaskFailed as exc:
            nodes = ctx.effects.extra.get("dbtNodes")
            if nodes is not None and exc.outputs:
                exc.outputs["nodes"] = nodes
            raise
        nodes = ctx.effects.extra.get("dbtNodes")
        if nodes is not None:
            outputs["nodes"] = nodes
        return outputs


def _load_or_none(ctx: RunContext, path: Path) -> dict[str, Any] | None:
    try:
        return results.load(path)
    except results.ArtifactError as exc:
        ctx.logger.warn(str(exc))
        return None


class KvStoreManifest(Frozen):
    key: str = Field(description="KV store key holding the manifest.json.")
    namespace: str = Field(description="KV store namespace holding the manifest.json.")


@TASKS.register
class DbtCLI(DbtBase, CommandLines):
    """Run dbt command lines (`dbt deps`, `dbt build`, ...) in a working directory holding the dbt project (from
    namespace files, inputFiles or a Git clone in a WorkingDirectory). Lines starting with `dbt` get
    `--project-dir` (when projectDir is set), `--log-format` and `--log-path logs` added; outputs are Kestra's
    (exitCode, vars, outputFiles with manifest.json and run_results.json) plus `nodes`, one entry per dbt node."""

    TYPE: ClassVar[str] = "dbt.cli.DbtCLI"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{_PREFIX}.DbtCLI",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: dbt_build
type: io.kestra.plugin.dbt.cli.DbtCLI
namespaceFiles:
  enabled: true
commands:
  - dbt deps
  - dbt build
profiles: |
  my_dbt_project:
    outputs:
      dev:
        type: duckdb
        path: ":memory:"
        threads: 4
    target: dev
""",
    )

    logFormat: Literal["JSON", "TEXT", "DEBUG", "NONE"] | Expression = Field(default="JSON", description="Added to dbt lines as `--log-format <value>` unless NONE; with JSON each dbt log line is logged at its own level.")
    engine: Literal["CORE", "FUSION"] | Expression = Field(default="CORE", description="Which image a container runner uses when containerImage is not set: CORE (ghcr.io/kestra-io/dbt) or FUSION (ghcr.io/kestra-io/dbt-fusion).")
    storeManifest: KvStoreManifest | None = Field(default=None, description="After the run, store target/manifest.json in the KV store under this namespace and key.")
    loadManifest: KvStoreManifest | None = Field(default=None, description="Before the run, write the manifest stored under this KV namespace and key to target/manifest.json (for `--defer --state`); a warning when absent.")

    def legacy_image(self) -> str | None:
        if self.docker is not None and self.docker.image:
            return self.docker.image
        return "ghcr.io/kestra-io/dbt-fusion" if self.engine == "FUSION" else None

    def main_lines(self, ctx: RunContext, templates: RunTemplates, workdir: Path) -> tuple[list[str], set[str]]:
        self.write_profiles(ctx, workdir)
        if self.loadManifest is not None:
            self._load_manifest(ctx, workdir)
        project = render_optional_text(ctx, self.projectDir)
        log_format = str(render_as(ctx, self.logFormat, str, "logFormat")).upper()
        lines = []
        for line in templates.commands(self.commands, "commands"):
            if line.startswith("dbt"):
                if project and "--project-dir" not in line:
                    line += f" --project-dir {shlex.quote(project)}"
                if log_format != "NONE" and "--log-format" not in line:
                    line += f" --log-format {log_format.lower()}"
                if "--log-path" not in line:
                    line += " --log-path logs"
            lines.append(line)
        return lines, {"profiles.yml"} if self.profiles else set()

    def _load_manifest(self, ctx: RunContext, workdir: Path) -> None:
        spec = self.loadManifest
        assert spec is not None
        found = ctx.kv.get(ctx.render_string(spec.key), ctx.render_string(spec.namespace))
        if found is None or found[1] in (None, ""):
            ctx.logger.warn("Property 'loadManifest' is set but no manifest was found in the KV store.")
            return
        value = found[1]
        target = self.project_path(ctx, workdir) / "target" / "manifest.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(value if isinstance(value, str) else json.dumps(value), encoding="utf-8")

    def on_manifest(self, ctx: RunContext, path: Path) -> None:
        spec = self.storeManifest
        if spec is None:
            return
        try:
            value = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise TaskFailed(f"storeManifest: target/manifest.json is not JSON: {exc}") from None
        ctx.kv.set(ctx.render_string(spec.key), value, type="JSON", ttl_seconds=None,
                   namespace=ctx.render_string(spec.namespace))


class LegacyDbt(DbtBase):
    """Kestra's older one-command dbt tasks: `<dbtPath> --log-format json [flags] <command> ... --project-dir`."""

    COMMAND: ClassVar[str] = ""

    failFast: bool = Field(default=False, description="Stop at the first failure (dbt's --fail-fast).")
    warnError: bool | Expression = Field(default=False, description="Turn dbt's warnings into errors (--warn-error).")
    debug: bool | Expression = Field(default=False, description="dbt's debug logging (--debug).")
    dbtPath: str = Field(default="./bin/dbt", description="The dbt executable; when the default ./bin/dbt (made by dbt.cli.Setup) is absent, the dbt on PATH.")
    dockerOptions: dict[str, Any] | None = Field(default=None, description="Deprecated: Kestra's older Docker options, accepted as `docker`.")

    def extra_args(self, ctx: RunContext) -> list[str]:
        return []

    async def tooling(self, ctx: RunContext, runner: Runner, workdir: Path) -> Tooling:
        tooling = await super().tooling(ctx, runner, workdir)
        self.write_profiles(ctx, workdir / ".profile")
        if (workdir / ".profile" / "profiles.yml").exists():
            tooling.env["DBT_PROFILES_DIR"] = f"{runner.visible_workdir(workdir)}/.profile"
        return tooling

    def main_lines(self, ctx: RunContext, templates: RunTemplates, workdir: Path) -> tuple[list[str], set[str]]:
        dbt = ctx.render_string(self.dbtPath)
        if dbt == "./bin/dbt" and not (workdir / "bin" / "dbt").exists():
            dbt = "dbt"
        argv = [dbt, "--log-format", "json"]
        if render_bool(ctx, self.debug, "debug"):
            argv.append("--debug")
        if self.failFast:
            argv.append("--fail-fast")
        if render_bool(ctx, self.warnError, "warnError"):
            argv.append("--warn-error")
        argv.extend(self.COMMAND.split())
        argv.extend(self.extra_args(ctx))
        project = render_optional_text(ctx, self.projectDir)
        visible = templates.paths["workingDir"]
        argv.extend(["--project-dir", str(PurePosixPath(visible, project)) if project else visible])
        return [shlex.join(argv)], set()


class LegacyRun(LegacyDbt):
    thread: int | Expression | None = Field(default=None, description="Number of threads dbt uses (--threads).")
    fullRefresh: bool | Expression = Field(default=False, description="Rebuild incremental models from scratch (--full-refresh).")
    target: str | None = Field(default=None, description="The profile's target to use (--target).")
    selector: str | None = Field(default=None, description="A selector of selectors.yml (--selector).")
    select: list[str] | Expression | None = Field(default=None, description="Nodes to include (--select).")
    exclude: list[str] | Expression | None = Field(default=None, description="Nodes to exclude (--exclude).")

    def extra_args(self, ctx: RunContext) -> list[str]:
        args: list[str] = []
        if self.thread is not None:
            args += ["--threads", str(render_as(ctx, self.thread, int, "thread"))]
        if render_bool(ctx, self.fullRefresh, "fullRefresh"):
            args.append("--full-refresh")
        if (target := render_optional_text(ctx, self.target)) is not None:
            args += ["--target", target]
        if (selector := render_optional_text(ctx, self.selector)) is not None:
            args += ["--selector", selector]
        for flag, value, prop in (("--select", self.select, "select"), ("--exclude", self.exclude, "exclude")):
            if value is not None:
                items = [str(v) for v in render_as(ctx, ctx.render(value), list[str], prop)]
                if items:
                    args += [flag, *items]
        return args


def _legacy(name: str, command: str, doc: str, base: type[LegacyDbt] = LegacyRun) -> type[LegacyDbt]:
    example = f"id: dbt_{name.lower()}\ntype: {_PREFIX}.{name}\nprofiles: |\n  my_project:\n    outputs:\n      dev:\n        type: duckdb\n        path: dbt.duckdb\n    target: dev\n"
    cls = type(name, (base,), {
        "__doc__": doc, "__module__": __name__, "__qualname__": name,
        "TYPE": f"dbt.cli.{name}", "ALIASES": (f"{_PREFIX}.{name}",), "COMMAND": command, "EXAMPLES": (example,),
    })
    return TASKS.register(cls)


Build = _legacy("Build", "build", "Deprecated (use DbtCLI): run `dbt build`.")
Run = _legacy("Run", "run", "Deprecated (use DbtCLI): run `dbt run`.")
Test = _legacy("Test", "test", "Deprecated (use DbtCLI): run `dbt test`.")
Compile = _legacy("Compile", "compile", "Deprecated (use DbtCLI): run `dbt compile`.")
Seed = _legacy("Seed", "seed", "Deprecated (use DbtCLI): run `dbt seed`.")
Snapshot = _legacy("Snapshot", "snapshot", "Deprecated (use DbtCLI): run `dbt snapshot`.")
Deps = _legacy("Deps", "deps", "Deprecated (use DbtCLI): run `dbt deps`.")
Freshness = _legacy("Freshness", "source freshness", "Deprecated (use DbtCLI): run `dbt source freshness`.")
List = _legacy("List", "list", "Deprecated (use DbtCLI): run `dbt list`.")


@TASKS.register
class Setup(ScriptBase):
    """Deprecated (use DbtCLI): prepare a working directory for the older dbt tasks: `requirements` installed
    into a virtualenv whose `dbt` becomes `./bin/dbt`, `profiles` written to `.profile/profiles.yml`, and
    `inputFiles` written. Requirements the Legato environment already satisfies (legato[dbt]) are not
    installed again: `./bin/dbt` is then Legato's dbt."""

    TYPE: ClassVar[str] = "dbt.cli.Setup"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{_PREFIX}.Setup",)
    DEFAULT_IMAGE: ClassVar[str] = "python"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: setup
type: io.kestra.plugin.dbt.cli.Setup
requirements:
  - dbt-duckdb
profiles:
  my_project:
    outputs:
      dev:
        type: duckdb
        path: dbt.duckdb
    target: dev
""",
    )

    profiles: str | dict[str, Any] = Field(description="Content of profiles.yml: YAML text or a map.")
    requirements: list[str] | Expression = Field(description="Python requirements of the virtualenv; must provide dbt.")
    pythonPath: str = Field(default="python", description="The Python interpreter that makes the virtualenv (container runners).")
    exitOnFailed: bool = Field(default=True, description="Deprecated: use failFast.")
    dockerOptions: dict[str, Any] | None = Field(default=None, description="Deprecated: Kestra's older Docker options.")

    async def tooling(self, ctx: RunContext, runner: Runner, workdir: Path) -> Tooling:
        profile = workdir / ".profile"
        profile.mkdir(parents=True, exist_ok=True)
        rendered = ctx.render(self.profiles)
        text = rendered if isinstance(rendered, str) else yaml.safe_dump(rendered, sort_keys=False)
        (profile / "profiles.yml").write_text(text, encoding="utf-8")
        wanted = [str(r) for r in render_as(ctx, ctx.render(self.requirements), list[str], "requirements") if str(r).strip()]
        if runner.name in _CONTAINER_RUNNERS:
            python = shlex.quote(ctx.render_string(self.pythonPath))
            return Tooling(before=[f"{python} -m venv --system-site-packages . > /dev/null",
                                   f"./bin/pip install --quiet {shlex.join(wanted)}" if wanted else "true"])
        folder = dbt_scripts_dir() if wanted and all(_satisfied(r) for r in wanted) else None
        if folder is None:
            venv = await asyncio.to_thread(deps.ensure_env, wanted, tools.python_interpreter(), log=ctx.logger.info)
            folder = venv / "bin"
            if not (folder / "dbt").exists():
                raise TaskFailed("requirements: the virtualenv has no dbt; add dbt-core and an adapter (e.g. dbt-duckdb)")
        else:
            ctx.logger.info("requirements already installed with Legato (legato[dbt]): ./bin/dbt is Legato's dbt")
        (workdir / "bin").mkdir(exist_ok=True)
        link = workdir / "bin" / "dbt"
        link.unlink(missing_ok=True)
        link.symlink_to(folder / "dbt")
        return Tooling()

    def main_lines(self, ctx: RunContext, templates: RunTemplates, workdir: Path) -> tuple[list[str], set[str]]:
        return ["test -e ./bin/dbt"], set()


def _satisfied(requirement: str) -> bool:
    """Whether Legato's own environment already has this requirement (name and version range)."""
    try:
        from packaging.requirements import InvalidRequirement, Requirement
    except ImportError:  # pragma: no cover - packaging comes with every dbt install
        return False
    try:
        parsed = Requirement(requirement)
    except InvalidRequirement:
        return False
    try:
        present = installed_version(parsed.name)
    except PackageNotFoundError:
        return False
    return not parsed.specifier or parsed.specifier.contains(present, prereleases=True)


__all__ = ["Build", "Compile", "DbtCLI", "Deps", "Freshness", "List", "Run", "Seed", "Setup", "Snapshot", "Test"]
