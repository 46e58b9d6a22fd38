"""CLI start-up (issue 21): the wall and CPU time of `legato --help` and of `legato flow validate` on one small flow,
as a user types them (a fresh process each, median of RUNS; goal <= 300 ms wall), and the second start of
`make run` on an installed checkout (`legato server local --flows examples/` on a data directory it has used
before) until the UI answers (goal <= 5 s). The machine may be shared: the CPU time (user + system of the child)
says what the command costs, the wall time what a user waits.

    .venv/bin/python bench/cli.py
"""

from __future__ import annotations

import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from support import listening_url

RUNS = 9
LEGATO = str(Path(sys.executable).with_name("legato"))
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
FLOW = "id: hello\nnamespace: bench\ntasks:\n  - id: say\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def median_seconds(*args: str) -> tuple[float, float]:
    """(wall, CPU) medians of RUNS runs of `legato *args`."""
    walls, cpus = [], []
    for _ in range(RUNS):
        cpu, started = _children_cpu(), time.perf_counter()
        subprocess.run([LEGATO, *args], capture_output=True, check=True)
        walls.append(time.perf_counter() - started)
        cpus.append(_children_cpu() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def _ui_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/ui/", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def start_to_ui(data_dir: Path) -> float:
    """Seconds from spawning `legato server local --flows examples/` to a UI page served, as `make run` starts it."""
    started = time.perf_counter()
    process = subprocess.Popen([LEGATO, "server", "local", "--flows", str(EXAMPLES), "--data-dir", str(data_dir),
                                "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        url = listening_url(process.stdout, process)
        while not _ui_answers(url):
            if process.poll() is not None or time.perf_counter() - started > 300:
                raise RuntimeError("the UI never answered")
            time.sleep(0.02)
        return time.perf_counter() - started
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def main() -> None:
    wall, cpu = median_seconds("--help")
    print(f"cli: `legato --help`: {wall * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU (median of {RUNS}; goal <= 300 ms)")
    with tempfile.TemporaryDirectory() as tmp:
        flow = Path(tmp) / "hello.yaml"
        flow.write_text(FLOW)
        wall, cpu = median_seconds("flow", "validate", str(flow))
        print(f"cli: `legato flow validate` of one flow: {wall * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU "
              f"(median of {RUNS}; goal <= 300 ms)")
        data = Path(tmp) / "data"
        first = start_to_ui(data)
        second = start_to_ui(data)
        print(f"cli: `make run` (server local --flows examples/) to a UI that answers: first start {first:.2f} s, "
              f"second start {second:.2f} s (goal <= 5 s)")


if __name__ == "__main__":
    main()
