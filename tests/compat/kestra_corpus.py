"""Measure Legato against Kestra's own core test flows.

    .venv/bin/python -m tests.compat.kestra_corpus PATH [--no-run] [--only TEXT] [-v]

PATH is a checkout of kestra-io/kestra, or its bare git directory (the files are read from its HEAD). Prints:

- how many of core/src/test/resources/flows/valids validate unchanged, with the core plugins only and with
  Legato stand-ins for the test-only types Kestra's suite puts on its classpath (tests/compat/kestra_test_plugins.py);
- how many of flows/invalids are rejected;
- for each case of tests/compat/kestra_cases.yaml (what Kestra's Java tests assert about those flows), whether
  Legato's run matches, and why not.

Nothing of Kestra is copied into this repository: the flows are read from PATH at run time.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from legato import instance_vars
from legato.clock import utcnow
from legato.model.errors import FlowValidationError
from legato.services import executions as execution_service
from legato.services.principal import SYSTEM
from legato.storage.uris import join, namespace_files_prefix
from tests.compat.harness import Instance, Outcome, parse
from tests.compat.kestra_expect import Problems, check_execution

FLOWS = "core/src/test/resources/flows"
CASES = Path(__file__).with_name("kestra_cases.yaml")


@dataclass
class Corpus:
    """Kestra's test flows, read from a checkout or a bare git directory."""

    root: Path  # the directory holding valids/, invalids/, tests/, templates/

    def valids(self) -> list[Path]:
        return sorted(p for p in (self.root / "valids").iterdir() if p.suffix in (".yaml", ".yml"))

    def invalids(self) -> list[Path]:
        return sorted(p for p in (self.root / "invalids").iterdir() if p.suffix in (".yaml", ".yml"))

    def text(self, name: str) -> str:
        if name.startswith("inline:"):
            return name[len("inline:"):]
        return (self.root / "valids" / name).resolve().read_text()


@contextmanager
def open_corpus(path: Path) -> Iterator[Corpus]:
    """The corpus under a checkout, or extracted from a bare git directory into a temporary one."""
    if (path / FLOWS).is_dir():
        yield Corpus(path / FLOWS)
        return
    if not (path / "HEAD").is_file():
        raise SystemExit(f"{path} is neither a Kestra checkout nor a git directory")
    with tempfile.TemporaryDirectory(prefix="kestra-corpus-") as tmp:
        archive = subprocess.run(["git", "--git-dir", str(path), "archive", "HEAD", FLOWS],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        yield Corpus(Path(tmp) / FLOWS)


# validation ------------------------------------------------------------------------------------------
def validate(files: list[Path]) -> dict[Path, str | None]:
    """Each file and its first problem (None: it validates)."""
    out: dict[Path, str | None] = {}
    for path in files:
        try:
            parse(path.read_text(), path.name)
            out[path] = None
        except FlowValidationError as exc:
            out[path] = str(exc.problems[0]) if exc.problems else str(exc)
    return out


def report_validation(corpus: Corpus, verbose: bool) -> None:
    valids = corpus.valids()
    core = validate(valids)
    import tests.compat.kestra_test_plugins  # noqa: F401  registers the stand-ins from here on

    stand_ins = validate(valids)
    failing = {p: e for p, e in stand_ins.items() if e}
    print(f"valids: {sum(e is None for e in core.values())} of {len(valids)} validate with the core plugins; "
          f"{len(valids) - len(failing)} with stand-ins for Kestra's test-only types")
    for path, error in failing.items():
        print(f"  invalid  {path.name}: {error}")
    invalids = validate(corpus.invalids())
    accepted = [p for p, e in invalids.items() if e is None]
    print(f"invalids: {len(invalids) - len(accepted)} of {len(invalids)} rejected")
    for path in accepted:
        print(f"  accepted {path.name}")
    if verbose:
        for path, error in invalids.items():
            if error is not None:
                print(f"  rejected {path.name}: {error}")


# cases -----------------------------------------------------------------------------------------------
@dataclass
class Result:
    test: str
    status: str  # MATCH, DIFF, SKIP
    problems: Problems = field(default_factory=list)
    cause: str | None = None


def lines_file(spec: str, directory: Path) -> Path:
    """The FILE input a Java test generates: `lines:N` is N lines of left-padded numbers."""
    kind, _, count = spec.partition(":")
    if kind != "lines":
        raise ValueError(f"unknown file spec {spec!r}")
    path = directory / f"items-{count}.txt"
    path.write_text("".join(f"{i:>20}\n" for i in range(int(count))))
    return path


@contextmanager
def environment(values: Mapping[str, str], globals_: Mapping[str, Any] | None = None) -> Iterator[None]:
    """The environment variables and the server's `variables.globals` a Java test runs with."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update({k: str(v) for k, v in values.items()})
    instance_vars.configure(None, globals_)
    try:
        yield
    finally:
        instance_vars.configure(None, None)
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def run_case(case: Mapping[str, Any], corpus: Corpus, tmp: Path) -> Result:
    test = str(case["test"])
    if case.get("skip"):
        return Result(test, "SKIP", [str(case["skip"])])
    with environment(case.get("env") or {}, case.get("globals")), Instance(tmp) as instance:
        try:
            first = _deploy(case, corpus, instance)
        except FlowValidationError as exc:
            return Result(test, "DIFF", [f"does not validate: {exc.problems[0] if exc.problems else exc}"], case.get("cause"))
        _seed(case, instance)
        try:
            problems = _play(case, first, instance, tmp)
        except TimeoutError as exc:
            problems = [f"timed out: {str(exc).splitlines()[0]}"]
        except Exception as exc:  # an action Legato refuses (restart of a SUCCESS...) is a difference, not a crash
            problems = [f"{type(exc).__name__}: {exc}"]
    return Result(test, "DIFF" if problems else "MATCH", problems, case.get("cause"))


def _deploy(case: Mapping[str, Any], corpus: Corpus, instance: Instance) -> tuple[str, str]:
    deployed = [instance.deploy(corpus.text(name), str(name)[:60]) for name in case.get("flows") or []]
    run = case.get("run")
    if run:
        namespace, _, flow_id = str(run).rpartition(".")
        return namespace, flow_id
    return deployed[0]


def _seed(case: Mapping[str, Any], instance: Instance) -> None:
    for namespace, entries in (case.get("kv") or {}).items():
        for key, value in entries.items():
            instance.store.kv_set(namespace, key, value, type="JSON", expires_at=None, now=utcnow())
    for namespace, files in (case.get("namespace_files") or {}).items():
        for path, content in files.items():
            instance.storage.put(join(namespace_files_prefix(namespace), path.lstrip("/")), str(content).encode())


def _play(case: Mapping[str, Any], flow: tuple[str, str], instance: Instance, tmp: Path) -> Problems:
    files = {k: lines_file(v, tmp) for k, v in (case.get("files") or {}).items()}
    if "runs" in case:
        return [p for i, step in enumerate(case["runs"]) for p in _prefixed(
            f"run {i + 1}", check_execution(step.get("expect") or {}, instance.run(
                *flow, step.get("inputs"), files=files), instance))]
    if "sequence" in case:
        out: Problems = []
        for i, step in enumerate(case["sequence"]):
            namespace, _, flow_id = str(step["run"]).rpartition(".")
            got = instance.run(namespace, flow_id, step.get("inputs"), files=files)
            out += _prefixed(f"step {i + 1}", check_execution(step.get("expect") or {}, got, instance))
        return out
    if "concurrent" in case:
        return _concurrent(case["concurrent"], flow, instance)
    if "resume_error" in case:
        return _resume_error(str(case["resume_error"]), flow, instance)
    if "paused_then" in case:
        return _paused_then(case["paused_then"], flow, instance)
    return _single(case, flow, instance, files, tmp)


def _prefixed(prefix: str, problems: Problems) -> Problems:
    return [f"{prefix}: {p}" for p in problems]


def _single(case: Mapping[str, Any], flow: tuple[str, str], instance: Instance, files: dict[str, Path],
            tmp: Path) -> Problems:
    expect = dict(case.get("expect") or {})
    out: Problems = []
    resume = case.get("resume")
    execution_id = instance.start(*flow, case.get("inputs"), files, case.get("labels"))
    if resume is not None:
        paused = instance.wait(execution_id, timeout=30, stop_on_pause=True)
        if "paused_first" in expect:
            out += _prefixed("while paused", check_execution(expect.pop("paused_first"), paused, instance))
        out += _resume(instance, paused, resume, tmp)
    got = instance.wait(execution_id, timeout=float(case.get("timeout", 60)))
    for _ in range(int(case.get("restart", 0))):
        got = _restart(instance, got)
    if case.get("replay"):
        got = _replay(instance, got, str(case["replay"]))
    out += _special(expect, got, instance)
    return out + check_execution(expect, got, instance)


def _resume(instance: Instance, paused: Outcome, resume: Mapping[str, Any], tmp: Path) -> Problems:
    if str(paused.execution.state) != "PAUSED":
        return [f"expected the execution to pause, it is {paused.state}"]
    files = {}
    for key, content in (resume.get("files") or {}).items():
        path = tmp / f"resume-{key}.txt"
        path.write_text(str(content).replace("$executionId", paused.execution.id))
        files[key] = path
    execution_service.resume(instance.store, paused.execution.id, dict(resume.get("inputs") or {}), files=files,
                   storage=instance.storage, by=SYSTEM)
    return []


def _restart(instance: Instance, ended: Outcome) -> Outcome:
    before = len(ended.execution.histories)
    execution_service.restart(instance.store, ended.execution.id, by=SYSTEM)
    for _ in range(600):
        current = instance.store.get_execution(ended.execution.id)
        if current is not None and len(current.histories) > before + 1 and current.ended is not None \
                and str(current.state) in ("SUCCESS", "FAILED", "WARNING", "KILLED", "CANCELLED"):
            return instance.outcome(current)
        import time

        time.sleep(0.05)
    raise TimeoutError(f"restarted execution {ended.execution.id} did not end")


def _replay(instance: Instance, ended: Outcome, task_id: str) -> Outcome:
    run = next(r for r in ended.runs if r.task_id == task_id)
    new = execution_service.replay(instance.store, ended.execution.id, run.id, now=utcnow(), by=SYSTEM)
    return instance.wait(new.id, timeout=60)


def _special(expect: dict[str, Any], got: Outcome, instance: Instance) -> Problems:
    """Expectations that need more than the execution's own records."""
    out: Problems = []
    if "retried_executions" in expect:
        want = sorted(expect.pop("retried_executions"))
        namespace, flow_id = got.execution.namespace, got.execution.flow_id
        with contextlib.suppress(TimeoutError):  # the Java test waits up to a minute for the chain to end
            instance.wait_for_executions(namespace, flow_id, len(want), timeout=60)
        instance.settle(2)
        states = sorted(str(e.state) for e in instance.executions_of(namespace, flow_id))
        if states != want:
            out.append(f"executions of the flow ended {states}, expected {want}")
    if "file_lines" in expect:
        spec = expect.pop("file_lines")
        uri = got.outputs_of(spec["task"]).get(spec["output"])
        lines = len(instance.storage.get(uri).decode().splitlines()) if isinstance(uri, str) else None
        if lines != spec["lines"]:
            out.append(f"{spec['task']}.{spec['output']} has {lines} lines, expected {spec['lines']}")
    if "file_at" in expect:
        spec = expect.pop("file_at")
        out += _file_text(spec, got, instance)
    if "trigger_disabled" in expect:
        spec = expect.pop("trigger_disabled")
        state = instance.store.get_trigger_state(got.execution.namespace, got.execution.flow_id, spec["trigger"])
        disabled = bool(state.disabled) if state is not None else False
        if disabled != spec["disabled"]:
            out.append(f"trigger {spec['trigger']} disabled={disabled}, expected {spec['disabled']}")
    return out


def _file_text(spec: Mapping[str, Any], got: Outcome, instance: Instance) -> Problems:
    run = got.runs[int(spec["task"])] if len(got.runs) > int(spec["task"]) else None
    value: Any = dict(run.outputs) if run else {}
    for part in str(spec["output"]).split(".", 1)[0:1] + ([str(spec["output"]).split(".", 1)[1]] if "." in spec["output"] else []):
        if part == "*" and isinstance(value, Mapping) and value:
            value = next(iter(value.values()))
        elif isinstance(value, Mapping):
            value = value.get(part)
    if not isinstance(value, str):
        return [f"no file at {spec['output']} of task run #{spec['task']}"]
    text = instance.storage.get(value).decode()
    return [] if text == spec["text"] else [f"file {value} holds {text[:80]!r}, expected {spec['text']!r}"]


def _concurrent(spec: Mapping[str, Any], flow: tuple[str, str], instance: Instance) -> Problems:
    import time

    first = instance.start(*flow)
    for _ in range(400):  # Kestra's runOneUntilRunning: the first holds the flow's concurrency slot
        current = instance.store.get_execution(first)
        if current is not None and str(current.state) in ("RUNNING", "PAUSED"):
            break
        time.sleep(0.025)
    second = instance.start(*flow)
    out: Problems = []
    done_second = instance.wait(second, timeout=60)
    done_first = instance.wait(first, timeout=60)
    if done_first.state != spec["first"]:
        out.append(f"first execution {done_first.state}, expected {spec['first']}")
    if done_second.state != spec["second"]:
        out.append(f"second execution {done_second.state}, expected {spec['second']}")
    history = [str(h.state) for h in done_second.execution.histories]
    want = spec.get("second_history")
    if want and history[: len(want)] != want:
        out.append(f"second execution's history {history}, expected it to start {want}")
    return out


def _resume_error(text: str, flow: tuple[str, str], instance: Instance) -> Problems:
    paused = instance.run(*flow, stop_on_pause=True)
    if paused.state != "PAUSED":
        return [f"expected the execution to pause, it is {paused.state}"]
    try:
        execution_service.resume(instance.store, paused.execution.id, {}, storage=instance.storage, by=SYSTEM)
    except Exception as exc:  # the refusal Kestra's test expects: a missing onResume input
        return [] if text in str(exc) else [f"resume refused with {exc!r}, which does not name {text!r}"]
    return ["resume without its required input was accepted"]


def _paused_then(spec: Mapping[str, Any], flow: tuple[str, str], instance: Instance) -> Problems:
    paused = instance.run(*flow, stop_on_pause=True)
    if paused.state != "PAUSED":
        return [f"expected the execution to pause, it is {paused.state}"]
    namespace, _, flow_id = str(spec["run"]).rpartition(".")
    got = instance.run(namespace, flow_id, {spec["input"]: paused.execution.id})
    out = check_execution(spec.get("expect") or {}, got, instance)
    resumed = instance.wait(paused.execution.id, timeout=30)
    return out + _prefixed("the paused execution", check_execution(spec.get("paused_expect") or {}, resumed, instance))


def run_cases(corpus: Corpus, only: str | None, verbose: bool) -> list[Result]:
    cases = yaml.safe_load(CASES.read_text())
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="kestra-cases-") as tmp:
        for index, case in enumerate(cases):
            if only and not any(o in str(case["test"]) for o in only.split(",")):
                continue
            result = run_case(case, corpus, Path(tmp) / f"case-{index}")
            results.append(result)
            line = f"{result.status:<5} {result.test}"
            if result.status != "MATCH":
                shown = result.problems if verbose else result.problems[:4]
                line += ": " + ("\n    ".join(shown) if verbose else "; ".join(shown)[:400])
                if result.cause and result.status == "DIFF":
                    line += f"  [known: {result.cause}]"
            print(line, flush=True)
    return results


def summary(results: list[Result]) -> None:
    ran = [r for r in results if r.status != "SKIP"]
    matched = [r for r in ran if r.status == "MATCH"]
    known = [r for r in ran if r.status == "DIFF" and r.cause]
    print(f"\ncases: {len(matched)} of {len(ran)} run here match Kestra's assertions "
          f"({len(results) - len(ran)} not runnable on Legato; {len(known)} of the {len(ran) - len(matched)} "
          "differences have a known cause)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path, help="a kestra-io/kestra checkout or its bare git directory")
    parser.add_argument("--no-run", action="store_true", help="only count what validates")
    parser.add_argument("--only", help="run only the cases whose test name contains this text")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    with open_corpus(args.path) as corpus:
        report_validation(corpus, args.verbose)
        if not args.no_run:
            summary(run_cases(corpus, args.only, args.verbose))
    return 0


if __name__ == "__main__":
    sys.exit(main())
