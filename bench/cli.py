"""CLI start-up (issue 21): the wall time of `legato --help` and of `legato flow validate` on one small flow, as a
user types them (a fresh process each, median of RUNS); goal <= 300 ms.

    .venv/bin/python bench/cli.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 9
LEGATO = str(Path(sys.executable).with_name("legato"))
FLOW = "id: hello\nnamespace: bench\ntasks:\n  - id: say\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n"


def median_seconds(*args: str) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run([LEGATO, *args], capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    print(f"cli: `legato --help`: {median_seconds('--help') * 1000:.0f} ms (median of {RUNS}; goal <= 300 ms)")
    with tempfile.TemporaryDirectory() as tmp:
        flow = Path(tmp) / "hello.yaml"
        flow.write_text(FLOW)
        print(f"cli: `legato flow validate` of one flow: {median_seconds('flow', 'validate', str(flow)) * 1000:.0f} ms "
              f"(median of {RUNS})")


if __name__ == "__main__":
    main()
