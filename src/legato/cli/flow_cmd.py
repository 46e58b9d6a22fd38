"""`legato flow ...`: validate and run flows from files."""

from __future__ import annotations

import importlib
import json
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from legato.cli import log_lines
from legato.cli.store_option import Remote, Target, with_store

if TYPE_CHECKING:
    from legato.model.execution import Execution, TaskRun
    from legato.store.ports import Store

# `flow validate` imports neither the store nor the services: the commands that use them are imported when run,
# as are their modules below (`with_store` opens the store only when its command runs); the flow models load in
# the commands that parse flows, so that `flow export --server` and the like import neither.
FLOW_SUFFIXES = (".yaml", ".yml")


# name -> (module, attribute) of the sub-commands defined elsewhere, imported when used
LAZY_COMMANDS = {
    "migrate": ("legato.cli.flow_dialect_cmd", "migrate"),
    **{name: ("legato.cli.flow_lifecycle_cmd", attribute) for name, attribute in
       (("delete", "delete"), ("disable", "disable"), ("enable", "enable"), ("export", "export"), ("import", "import_"))},
}


class _FlowGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in LAZY_COMMANDS:
            module, attribute = LAZY_COMMANDS[cmd_name]
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return self.commands.get(cmd_name)


@click.group(cls=_FlowGroup)
def flow() -> None:
    """Validate and run flows."""


def flow_files(paths: tuple[Path | None, ...]) -> list[Path]:
    """The flow files named, directories expanded (recursively, *.yaml and *.yml)."""
    return _flow_files(tuple(p for p in paths if p is not None))


def _flow_files(paths: tuple[Path, ...]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.suffix in FLOW_SUFFIXES and p.is_file()))
        else:
            out.append(path)
    return out


@flow.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--strict", is_flag=True, help="Exit 1 on expression findings too, not only on invalid flows.")
@click.option("--lint", is_flag=True, help="Also list the Kestra 1.x constructs that Kestra 2.0 removed, with their 2.0 form.")
def validate(paths: tuple[Path, ...], strict: bool, lint: bool) -> None:
    """Check flow files and test suites (or directories of them); exit 1 with file:line:column messages on any
    error.

    Valid flows are also checked for expression mistakes (an unclosed `{{`, an unknown function or filter,
    `outputs.<id>` of no task, `inputs.<id>` of no input), printed as file:line:column: property: finding.
    With --lint, the Kestra 1.x constructs that 2.0 removed are listed too, with their 2.0 form."""
    from legato.expressions import flowlint
    from legato.flows import parse_flow
    from legato.flowtests.suite import looks_like_suite, parse_suite
    from legato.model.errors import FlowValidationError

    failed = findings = 0
    files = _flow_files(paths)
    for path in files:
        text = path.read_text()
        if looks_like_suite(text, str(path)):  # test suites live beside flows (`<ns>/tests/`)
            try:
                suite = parse_suite(text, str(path))
                click.echo(f"ok    {path} (test suite {suite.namespace}.{suite.id})")
            except FlowValidationError as exc:
                failed += 1
                click.echo(str(exc), err=True)
            continue
        try:
            parsed = parse_flow(text, str(path))
        except FlowValidationError as exc:
            failed += 1
            click.echo(str(exc), err=True)
            continue
        found = flowlint.lint_source(text, str(path))
        findings += len(found)
        click.echo(f"{'ok   ' if not found else 'check'} {path} ({parsed.namespace}.{parsed.id})")
        for problem in found:
            click.echo(f"{problem}", err=True)
        for finding in _lint_file(path) if lint else ():
            click.echo(f"lint  {finding}")
    summary = f"{len(files) - failed} valid, {failed} invalid" + (f", {findings} expression findings" if findings else "")
    click.echo(summary, err=bool(failed or findings))
    sys.exit(1 if failed or (strict and findings) else 0)


def _lint_file(path: Path) -> list[str]:
    from legato.cli.flow_dialect_cmd import lint_file

    return lint_file(path)


@flow.command("deploy")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@with_store
def deploy(target: Target, paths: tuple[Path, ...]) -> None:
    """Validate flow files (or directories) and store each as a new revision of its flow."""
    from legato.clock import utcnow
    from legato.flows import parse_flow
    from legato.model.errors import FlowValidationError

    files = _flow_files(paths)
    parsed = []
    for path in files:
        try:
            parsed.append((path, parse_flow(path.read_text(), str(path))))
        except FlowValidationError as exc:
            click.echo(str(exc), err=True)
            sys.exit(1)  # all or nothing: no flow of a broken set is deployed
    for path, flow in parsed:
        if isinstance(target, Remote):
            yaml = {"content": path.read_text(), "headers": {"Content-Type": "application/x-yaml"}}
            exists = target.client.get(f"/flows/{flow.namespace}/{flow.id}").status_code == 200
            saved = (target.call("PUT", f"/flows/{flow.namespace}/{flow.id}", **yaml) if exists
                     else target.call("POST", "/flows", **yaml)).json()
            click.echo(f"{saved['namespace']}.{saved['id']} revision {saved['revision']}")
            continue
        from legato.services import flows as flow_service

        record = flow_service.deploy(target.store, path.read_text(), by=target.by, now=utcnow(), name=str(path))
        click.echo(f"{record.namespace}.{record.id} revision {record.revision}")


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint=option)
        out[key] = value
    return out


@flow.command("run")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--input", "inputs", multiple=True, metavar="KEY=VALUE", help="An input value (repeatable).")
@click.option("--input-file", "input_files", multiple=True, metavar="KEY=PATH", help="A FILE input (repeatable).")
@click.option("--flows", "flows_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Directory of other flows available as subflows (an invalid one is skipped with a warning).")
@click.option("--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--timeout", type=float, default=None,
              help="Stop waiting after this many seconds and show the execution as it is (a paused one, say).")
def run(file: Path, inputs: tuple[str, ...], input_files: tuple[str, ...], flows_dir: Path | None,
        output: str, timeout: float | None) -> None:
    """Run one execution of FILE in-process on a throw-away SQLite store. Exit 0 when it ends in SUCCESS or
    WARNING, 1 when it fails (or FILE or its inputs are invalid), 2 when it has not ended within --timeout."""
    from legato import config
    from legato.store import open_store

    raw_inputs: dict[str, Any] = dict(_pairs(inputs, "--input"))
    files = {k: str(Path(v).resolve()) for k, v in _pairs(input_files, "--input-file").items()}
    for path in files.values():
        if not Path(path).is_file():
            raise click.BadParameter(f"{path} is not a file", param_hint="--input-file")
    with tempfile.TemporaryDirectory(prefix="legato-run-") as tmp:
        store = open_store(config.sqlite_url(Path(tmp)))
        store.migrate()
        try:
            code = _run(store, file, raw_inputs, files, flows_dir, output == "json", timeout, Path(tmp))
        finally:
            store.close()
    sys.exit(code)


def _run(store: Store, file: Path, raw_inputs: dict[str, Any], files: dict[str, str], flows_dir: Path | None,
         as_json: bool, timeout: float | None, data_dir: Path) -> int:
    # imported here: the server (and the API's models) would double the start of `flow validate` and `flow lint`
    import asyncio

    from legato.api.serialize import execution_dto
    from legato.clock import utcnow
    from legato.model import state as st
    from legato.model.errors import FlowValidationError, InputsError
    from legato.server.compose import storage_for
    from legato.services import executions
    from legato.services import flows as flow_service
    from legato.services.principal import SYSTEM

    echo = _Echo(store, err=as_json)
    for path in _flow_files((flows_dir,)) if flows_dir else []:
        if path.resolve() != file.resolve():
            try:
                flow_service.deploy(store, path.read_text(), by=SYSTEM, now=utcnow(), name=str(path))
            except FlowValidationError as exc:  # a broken neighbour must not stop this run
                click.echo(f"warning: {path} skipped, it is not a valid flow: {exc}", err=True)
    try:
        record = flow_service.deploy(store, file.read_text(), by=SYSTEM, now=utcnow(), name=str(file))
        execution = executions.create_execution(store, record.namespace, record.id, raw_inputs, by=SYSTEM, now=utcnow(), files=files,
                                             storage=storage_for(data_dir))
    except (FlowValidationError, InputsError) as exc:
        click.echo(str(exc), err=True)
        return 1
    final = asyncio.run(_execute(store, execution.id, echo, timeout, data_dir))
    ended = final.state in st.TERMINAL and final.ended is not None
    if not ended:
        click.echo(f"Execution {final.id} is still {final.state} after {timeout:g} s", err=True)
    runs = store.task_runs(final.id)
    if as_json:
        click.echo(json.dumps(execution_dto(final, runs).wire(), indent=2))
    else:
        echo.poll()
        click.echo(f"\nExecution {final.id} {final.state}" + (f": {final.error}" if final.error else ""))
        if final.outputs:
            click.echo("Outputs: " + json.dumps(final.outputs, default=str))
    if not ended:
        return 2
    return 0 if final.state in (st.State.SUCCESS, st.State.WARNING) else 1


async def _execute(store: Store, execution_id: str, echo: _Echo, timeout: float | None, data_dir: Path) -> Execution:
    import asyncio

    from legato.server.compose import Runtime
    from legato.services import executions

    runtime = Runtime(store, poll_seconds=0.5, data_dir=data_dir)
    stopping = asyncio.Event()
    services = asyncio.create_task(runtime.run(stopping), name="runtime")
    try:
        echo.execution_id = execution_id
        try:
            return await executions.wait_for_end(store, execution_id, on_poll=echo.poll, poll_seconds=0.1,
                                                 timeout=timeout)
        except TimeoutError:  # not ended in time (paused, say): shown as it is
            current = await asyncio.to_thread(store.get_execution, execution_id)
            assert current is not None, f"execution {execution_id} vanished"
            return current
    finally:
        stopping.set()
        await services


class _Echo:
    """Prints the execution's new logs and task-state changes as they happen: a task's log lines before the line
    of its final state (the task runs are read before the logs, so the logs of a task seen ended are all there)."""

    def __init__(self, store: Store, *, err: bool):
        self.store = store
        self.err = err
        self.execution_id = ""
        self._logs = 0
        self._states: dict[str, str] = {}

    def poll(self) -> None:
        from legato.model import state as st

        if not self.execution_id:
            return
        changed = [run for run in self.store.task_runs(self.execution_id) if self._states.get(run.id) != run.state]
        for run in changed:
            if run.state not in st.TERMINAL:
                self._state_line(run)
        logs = self.store.logs(self.execution_id)
        for record in logs[self._logs:]:
            line = log_lines.format_line(record.timestamp, record.level, record.task_id, record.attempt, record.message)
            click.echo(line, err=self.err)
        self._logs = len(logs)
        for run in changed:
            if run.state in st.TERMINAL:
                self._state_line(run)

    def _state_line(self, run: TaskRun) -> None:
        self._states[run.id] = run.state
        suffix = f" [{run.value}]" if run.value is not None else ""
        click.echo(f"  {run.task_id}{suffix}: {run.state}", err=self.err)
