"""`legato test [PATH...]`: run flow unit tests (Kestra's test suites) with no server, pytest style."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from xml.etree import ElementTree

import click

from legato.deploy import layout
from legato.flowtests.runner import DEFAULT_TIMEOUT, ERROR, FAILED, SKIPPED, SUCCESS, CaseResult, SuiteResult
from legato.model.errors import FlowValidationError
from legato.server import flowtests

_MARKS = {SUCCESS: ".", FAILED: "F", ERROR: "E", SKIPPED: "s"}
_WORDS = {SUCCESS: "PASSED", FAILED: "FAILED", ERROR: "ERROR", SKIPPED: "SKIPPED"}


@click.command("test")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("-n", "--processes", type=click.IntRange(min=1), default=None,
              help="Processes to spread the test cases over (default: the number of CPUs).")
@click.option("--timeout", type=float, default=DEFAULT_TIMEOUT, show_default=True,
              help="Seconds a test case's execution may take.")
@click.option("--junit-xml", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the results as JUnit XML (for CI).")
@click.option("-v", "--verbose", is_flag=True, help="One line per test case.")
@click.option("-k", "keyword", default=None, help="Run only the suites and cases whose id contains this text.")
@click.option("--allow-no-tests", is_flag=True, help="Exit 0 rather than 5 when no test suite is found.")
def test(paths: tuple[Path, ...], processes: int | None, timeout: float, junit_xml: Path | None, verbose: bool,
         keyword: str | None, allow_no_tests: bool) -> None:
    """Run the test suites found in PATHS (default: the current directory) against the flows and namespace
    files found there (Kestra's layout `<ns>/flows`, `<ns>/files`, `<ns>/tests`, or a flat folder), each
    test case as an in-process execution on a throw-away store. Exits 1 when a test fails."""
    started = time.perf_counter()
    try:
        repo = layout.read(list(paths) or [Path(".")])
    except FlowValidationError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    if keyword:
        repo.suites = _select(repo, keyword)
    code = run_and_report(repo, processes=processes, timeout=timeout, junit_xml=junit_xml, verbose=verbose,
                          started=started)
    sys.exit(0 if code == 5 and allow_no_tests else code)


def run_and_report(repo: layout.Repository, *, processes: int | None = None, timeout: float = DEFAULT_TIMEOUT,
                   junit_xml: Path | None = None, verbose: bool = False, started: float | None = None) -> int:
    """Run the repository's suites and print the report; the exit code (0 passed, 1 failed, 5 nothing ran)."""
    started = time.perf_counter() if started is None else started
    cases = sum(len(s.suite.testCases) for s in repo.suites)
    click.echo(f"collected {cases} test case{'s' if cases != 1 else ''} in {len(repo.suites)} "
               f"suite{'s' if len(repo.suites) != 1 else ''} ({len(repo.flows)} flows)")
    if not repo.suites:
        return 5  # as pytest: nothing collected
    results = flowtests.run(repo, processes=processes or os.cpu_count() or 1, timeout=timeout)
    _report(results, verbose)
    counts = {state: sum(1 for r in results for c in r.results if c.state == state) for state in _MARKS}
    elapsed = time.perf_counter() - started
    summary = ", ".join(f"{n} {_label(state)}" for state, n in counts.items() if n) or "no tests ran"
    click.echo(f"{'=' * 20} {summary} in {elapsed:.2f}s {'=' * 20}")
    if junit_xml is not None:
        write_junit(results, junit_xml, elapsed)
    return 1 if counts[FAILED] or counts[ERROR] else 0


def _select(repo: layout.Repository, keyword: str) -> list[layout.SuiteFile]:
    chosen = []
    for s in repo.suites:
        if keyword in s.suite.id:
            chosen.append(s)
            continue
        cases = [c for c in s.suite.testCases if keyword in c.id]
        if cases:
            chosen.append(layout.SuiteFile(s.path, s.source, s.suite.model_copy(update={"testCases": cases})))
    return chosen


def _label(state: str) -> str:
    return {SUCCESS: "passed", FAILED: "failed", ERROR: "errors", SKIPPED: "skipped"}[state]


def _report(results: list[SuiteResult], verbose: bool) -> None:
    for suite in results:
        name = f"{suite.source}::{suite.testSuiteId}"
        if verbose:
            for case in suite.results:
                click.echo(f"{name}::{case.testId} {_WORDS[case.state]} ({case.duration:.2f}s)")
        else:
            click.echo(f"{name} {''.join(_MARKS[c.state] for c in suite.results)}")
    failed = [(s, c) for s in results for c in s.results if c.state in (FAILED, ERROR)]
    if failed:
        click.echo(f"{'=' * 30} FAILURES {'=' * 30}")
    for suite, case in failed:
        click.echo(f"{'_' * 10} {suite.namespace}.{suite.testSuiteId}::{case.testId} {'_' * 10}")
        if case.executionId:
            click.echo(f"execution {case.executionId} ended {case.executionState}")
        for line in case.failures():
            click.echo(f"E   {line}")


def write_junit(results: list[SuiteResult], target: Path, elapsed: float) -> None:
    """The results as a JUnit XML report: one <testsuite> per suite, one <testcase> per case."""
    root = ElementTree.Element("testsuites", name="legato test", time=f"{elapsed:.3f}")
    for suite in results:
        cases = suite.results
        node = ElementTree.SubElement(
            root, "testsuite", name=f"{suite.namespace}.{suite.testSuiteId}", tests=str(len(cases)),
            failures=str(sum(c.state == FAILED for c in cases)), errors=str(sum(c.state == ERROR for c in cases)),
            skipped=str(sum(c.state == SKIPPED for c in cases)), time=f"{sum(c.duration for c in cases):.3f}",
            timestamp=suite.startDate.isoformat(), file=suite.source or "")
        for case in cases:
            _junit_case(node, suite, case)
    target.parent.mkdir(parents=True, exist_ok=True)
    ElementTree.ElementTree(root).write(target, encoding="utf-8", xml_declaration=True)


def _junit_case(parent: ElementTree.Element, suite: SuiteResult, case: CaseResult) -> None:
    node = ElementTree.SubElement(parent, "testcase", classname=f"{suite.namespace}.{suite.testSuiteId}",
                                  name=case.testId, time=f"{case.duration:.3f}", file=suite.source or "")
    failures = case.failures()
    if case.state == FAILED:
        ElementTree.SubElement(node, "failure", message=failures[0] if failures else "failed").text = "\n".join(failures)
    elif case.state == ERROR:
        ElementTree.SubElement(node, "error", message=failures[0] if failures else "error").text = "\n".join(failures)
    elif case.state == SKIPPED:
        ElementTree.SubElement(node, "skipped", message="disabled")
    if case.executionId:
        ElementTree.SubElement(node, "system-out").text = f"execution {case.executionId} ended {case.executionState}"
