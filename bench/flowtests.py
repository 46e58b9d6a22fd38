"""`legato test` benchmark: a suite of 100 test cases (a three-task flow, half the cases mocking a task, each
with two assertions) run by the `legato test` command as a user runs it, from process start to exit, on
throw-away SQLite stores in parallel processes.

    .venv/bin/python bench/flowtests.py [--cases N]

Prints `flowtests: 100 cases in 4.2 s from process start to exit (...)`. Target: <= 10 s for 100 cases.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FLOW = """\
id: bench_flow
namespace: bench.tests
inputs:
  - id: n
    type: INT
    defaults: 1
tasks:
  - id: double
    type: io.kestra.plugin.core.debug.Return
    format: "{{ inputs.n * 2 }}"
  - id: label
    type: io.kestra.plugin.core.debug.Return
    format: "n={{ outputs.double.value }}"
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{ outputs.label.value }}"
"""


def suite(cases: int) -> str:
    lines = ["id: bench_suite", "namespace: bench.tests", "flowId: bench_flow", "testCases:"]
    for i in range(cases):
        lines += [f"  - id: case_{i}", "    type: io.kestra.core.tests.flow.UnitTest",
                  "    fixtures:", "      inputs:", f"        n: {i}"]
        if i % 2:
            lines += ["      tasks:", "        - id: log", "        - id: double", "          outputs:",
                      f"            value: {i * 2}"]
        lines += ["    assertions:", "      - value: \"{{ outputs.double.value }}\"", f"        equalTo: {i * 2}",
                  "      - value: \"{{ outputs.label.value }}\"", "        startsWith: \"n=\""]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100)
    args = parser.parse_args(argv if argv is not None else [])
    legato = str(Path(sys.executable).with_name("legato"))
    with tempfile.TemporaryDirectory(prefix="legato-bench-tests-") as tmp:
        root = Path(tmp) / "bench.tests"
        (root / "flows").mkdir(parents=True)
        (root / "tests").mkdir()
        (root / "flows" / "bench_flow.yaml").write_text(FLOW)
        (root / "tests" / "bench_suite.yaml").write_text(suite(args.cases))
        started = time.perf_counter()
        done = subprocess.run([legato, "test", tmp], capture_output=True, text=True, timeout=600)
        elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"legato test failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    summary = done.stdout.strip().splitlines()[-1].strip("= ")
    load = os.getloadavg()[0]
    print(f"flowtests: {args.cases} cases in {elapsed:.1f} s from process start to exit ({summary} after start-up; "
          f"load average {load:.1f}; target <= 10 s)")


if __name__ == "__main__":
    main(sys.argv[1:])
