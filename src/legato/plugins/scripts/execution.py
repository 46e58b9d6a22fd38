"""One run of a script task: choose the runner, make a fresh working directory, stage files, run the
command while its lines become logs and outputs, then upload output files and clean up."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.runnable import render_optional_text
from legato.plugins.scripts import files, tools, venvs
from legato.plugins.scripts.protocol import Collector
from legato.plugins.scripts.templates import RunTemplates
from legato.runners.base import CommandSpec, CommandTimedOut, RunnerError
from legato.runners.environment import script_environment
from legato.storage import Storage, task_run_prefix
from legato.telemetry import tracing

if TYPE_CHECKING:
    from legato.plugins.scripts.base import ScriptBase, Tooling

OUTPUT_DIR = ".outputs"
_SHELLS = {"sh", "bash", "dash", "zsh", "ksh", "ash"}
CONTAINERS = ("docker", "kubernetes")  # runners whose image has its own pip


def work_root() -> str:
    """Where working directories are made (LEGATO_WORK_DIR, else the system temp dir)."""
    return os.environ.get("LEGATO_WORK_DIR") or tempfile.gettempdir()


async def execute(task: ScriptBase, ctx: RunContext) -> dict[str, Any]:
    """Run `task` once and return its outputs (exitCode, vars, outputFiles)."""
    storage = ctx.storage
    try:
        settings = ctx.runner_settings
        image = render_optional_text(ctx, task.containerImage) or task.legacy_image() or task.DEFAULT_IMAGE
        choice = task.choose_runner(settings, image)
    except RunnerError as exc:
        raise TaskFailed(str(exc)) from None
    if choice.note:
        ctx.logger.warn(choice.note)
    runner = choice.runner
    ctx.effects.extra["runner"] = runner.name  # shown with the attempt: which runner really ran it
    shared = ctx.working_dir  # inside a WorkingDirectory: its directory, kept for the next task
    workdir = shared if shared is not None else Path(tempfile.mkdtemp(prefix="legato-run-", dir=work_root()))
    cleaned = shared is not None
    try:
        visible = runner.visible_workdir(workdir)
        localize = files.Localizer(workdir, visible, storage, ctx.execution.namespace)
        templates = RunTemplates(ctx, {"workingDir": visible, "outputDir": f"{visible}/{OUTPUT_DIR}"}, localize,
                                 task.run_variables(ctx, workdir, visible))
        if shared is None and not _copies_files(task):
            _stage(task, ctx, templates, workdir, storage)  # a new folder, nothing to copy: one mkdir, no thread hop
        else:
            await asyncio.to_thread(_stage, task, ctx, templates, workdir, storage)
        tooling = await task.tooling(ctx, runner, workdir)
        main, generated = task.main_lines(ctx, templates, workdir)
        lines = [*tooling.before, *templates.commands(task.beforeCommands, "beforeCommands"), *main]
        if runner.name not in CONTAINERS and venvs.installs_with_pip("\n".join([*lines, *_written(workdir, generated)])):
            tooling = await asyncio.to_thread(_pip_tooling, tooling, workdir)
        env = {k: templates.text(str(v)) if isinstance(v, str) else _env_text(v) for k, v in (task.env or {}).items()}
        # The script continues this attempt's trace (W3C Trace Context); a TRACEPARENT the task sets wins.
        env = {"TRACEPARENT": tracing.traceparent(ctx.execution.id, ctx.task_run.id, ctx.attempt), **env}
        spec = CommandSpec(
            argv=[*task.interpreter_argv(), _script(task, lines)], workdir=workdir,
            env={**script_environment(visible, env, output_dir=f"{visible}/{OUTPUT_DIR}"), **tooling.env},
            path_prefix=[*tooling.path, tools.python_shims()],
            helpers={"PYTHONPATH": [tools.PYTHON_HELPERS], "NODE_PATH": [tools.NODE_HELPERS]},
            image=image, namespace=ctx.execution.namespace, labels=_labels(ctx), note=ctx.logger.warn,
        )
        collector = task.collector(ctx)
        code = await _run(runner, spec, collector)
        prefix = task_run_prefix(ctx.execution.namespace, ctx.execution.flow_id, ctx.execution.id,
                                 ctx.task_run.task_id, ctx.task_run.id)
        extra = await task.after_command(ctx, workdir, code, collector, prefix)
        _record_metrics(ctx, collector)
        if code != 0:
            kept = {"exitCode": code, "vars": collector.vars, "outputFiles": extra, **task.extra_outputs(collector)} if extra else None
            raise _failure(code, collector, kept)
        patterns = task.output_patterns(templates)

        def collect() -> dict[str, str]:  # and clean up, in the same thread hop
            try:
                return files.collect_outputs(workdir, patterns, workdir / OUTPUT_DIR, generated, storage, prefix)
            finally:
                if shared is None:
                    shutil.rmtree(workdir, True)

        cleaned = True
        uploaded = await asyncio.to_thread(collect)
        uploaded.update(extra)
        if task.warningOnStdErr and collector.stderr_lines:
            ctx.effects.warning = True
        return {"exitCode": code, "vars": collector.vars, "outputFiles": uploaded, **task.extra_outputs(collector)}
    finally:
        if not cleaned:
            await asyncio.to_thread(shutil.rmtree, workdir, True)


def _labels(ctx: RunContext) -> dict[str, str]:
    """Whose container it is, for an operator's `docker ps` (the docker runner adds its own)."""
    run = ctx.execution
    return {"io.legato.namespace": run.namespace, "io.legato.flow": run.flow_id, "io.legato.execution": run.id,
            "io.legato.task": ctx.task_run.task_id, "io.legato.task-run": ctx.task_run.id}


def _fresh_output_dir(path: Path) -> None:
    """An empty output dir: files a previous task of a shared directory left there are not this task's."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()
    path.mkdir()


async def _run(runner: Any, spec: CommandSpec, collector: Collector) -> int:
    try:
        code: int = await runner.run(spec, collector)
    except CommandTimedOut as exc:
        raise TaskFailed(str(exc)) from None
    except RunnerError as exc:
        raise TaskFailed(str(exc)) from None
    return code


def _copies_files(task: ScriptBase) -> bool:
    """Whether `_stage` copies files in (input files, namespace files) besides making the output folder (otherwise
    it is one mkdir in a new folder, not worth a thread hop)."""
    return task.inputFiles is not None or bool(task.namespaceFiles and task.namespaceFiles.enabled)


def _stage(task: ScriptBase, ctx: RunContext, templates: RunTemplates, workdir: Path, storage: Storage) -> None:
    _fresh_output_dir(workdir / OUTPUT_DIR)
    if task.inputFiles is not None:
        rendered = templates.render(_substituted(task.inputFiles, templates))
        files.stage_inputs(workdir, files.input_files_map(rendered), storage, ctx.execution.namespace)
    spec = task.namespaceFiles
    if spec is not None and spec.enabled:
        namespaces = spec.namespaces or [ctx.execution.namespace]
        count = files.stage_namespace_files(
            workdir, storage, namespaces, spec.include, spec.exclude, spec.folderPerNamespace,
            overwrite=spec.ifExists == "OVERWRITE",
        )
        ctx.logger.debug(f"{count} namespace file(s) copied into the working directory")


def _substituted(value: Any, templates: RunTemplates) -> Any:
    if isinstance(value, str):
        return templates.substitute(value)
    if isinstance(value, dict):
        return {k: _substituted(v, templates) for k, v in value.items()}
    return value


def _written(workdir: Path, generated: set[str]) -> list[str]:
    """The text of the script files Legato wrote for the main lines (an inline script's `pip install`)."""
    out = []
    for name in generated:
        try:
            out.append((workdir / name).read_text(encoding="utf-8", errors="replace"))
        except OSError:
            continue
    return out


def _pip_tooling(tooling: Tooling, workdir: Path) -> Tooling:
    """`tooling` with a virtualenv of the working directory's own first, for a script that installs with pip."""
    dependencies = tooling.env.get("VIRTUAL_ENV")
    venv = venvs.for_pip(workdir, tools.python_interpreter(), Path(dependencies) if dependencies else None)
    return dataclasses.replace(tooling, path=[venv / "bin", *tooling.path], env={**tooling.env, "VIRTUAL_ENV": str(venv)})


def _script(task: ScriptBase, lines: list[str]) -> str:
    """The command lines as one script for the interpreter; a shell stops at the first failure with failFast."""
    shell = Path(task.interpreter_argv()[0]).name in _SHELLS
    if task.fail_fast() and shell and len(lines) > 1:
        lines = ["set -e", *lines]
    return "\n".join(lines)


def _failure(code: int, collector: Collector, outputs: dict[str, Any] | None) -> TaskFailed:
    """The error of a command that exited with `code`: with the stderr tail, which its log lines already carry
    (so the log line says only the exit code)."""
    message = f"Command failed with exit code {code}"
    tail = ":\n" + "\n".join(collector.tail) if collector.tail else ""
    return TaskFailed(message + tail, outputs=outputs, log_message=message)


def _record_metrics(ctx: RunContext, collector: Collector) -> None:
    # the worker has no metric store yet: metrics travel with the task's effects (see the report to the lead)
    if collector.metrics:
        ctx.effects.extra.setdefault("metrics", []).extend(collector.metrics)


def _env_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)

