"""Throughput of the expression engine: cached renders and first-time parses, on one core."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from legato.expressions import Renderer

TEMPLATE = (
    "Flow {{ flow.namespace }}.{{ flow.id }} for {{ inputs.user }} "
    "({{ inputs.count + 1 }} items, {{ inputs.region | upper }}): {{ outputs.extract.uri }}, "
    "{{ outputs['load-data'].rows }} rows, {{ vars.bucket }}/{{ taskrun.value ?? 'none' }} "
    "started {{ execution.startDate }}"
)


def context() -> dict[str, object]:
    return {
        "flow": {"id": "etl", "namespace": "company.team", "revision": 3},
        "execution": {"id": "4wjtkzwVGBM9yKnjm3yv8r", "startDate": datetime(2024, 1, 2, 3, 4, 5, 123000, UTC),
                      "state": "RUNNING"},
        "inputs": {"user": "ada", "count": 41, "region": "eu-west-1"},
        "outputs": {"extract": {"uri": "kestra:///company/team/etl/out.csv"}, "load-data": {"rows": 1200}},
        "vars": {"bucket": "s3://data"},
        "taskrun": {"id": "t1", "value": None},
    }


def _rate(action: Callable[[], object], seconds: float, rounds: int = 5) -> float:
    """Calls per second, best of several rounds, in this process's CPU time (one core) so that other
    load on the machine skews the figure less."""
    best = 0.0
    for _ in range(rounds):
        count, start = 0, time.process_time()
        deadline = start + seconds / rounds
        while True:
            for _ in range(100):
                action()
            count += 100
            now = time.process_time()
            if now >= deadline:
                break
        best = max(best, count / (now - start))
    return best


def cached_renders_per_second(seconds: float = 1.0) -> float:
    renderer, ctx = Renderer(), context()
    renderer.render(TEMPLATE, ctx)
    return _rate(lambda: renderer.render(TEMPLATE, ctx), seconds)


def parses_per_second(seconds: float = 1.0) -> float:
    renderer = Renderer()
    counter = iter(range(10**12))

    def parse_new() -> None:
        # A distinct text each time, so nothing comes from the cache.
        renderer.compile(f"{TEMPLATE} #{next(counter)} {{{{ inputs.count * {next(counter)} }}}}")
    return _rate(parse_new, seconds)


# --- what the render limits cost: the same templates on this tree and on the engine before the limits ---------

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "48da20c"  # the last commit of main before every render ran under limits (time, memory, RE2, jq child)
WORKLOADS = {
    "10-variable template": TEMPLATE,
    "loop, filters, set": "{% set total = 0 %}{% for row in inputs.rows %}{% set total = total + row.n %}"
                          "{{ row.name | upper }}:{{ row.n }},{% endfor %}{{ total }} {{ inputs.rows | length }}",
    "json and collections": "{{ inputs.rows | json }} {{ (inputs.rows | first).name ~ '!' }} {{ [1, 2] + [3] }}",
    "regex replace and split": "{{ inputs.region | replace({'-(\\d+)$': '/$1'}, regexp=true) }} "
                               "{{ 'a, b,c' | split(',\\s*') | length }}",
    "jq": "{{ inputs.rows | jq('map(.n) | add') | first }}",
}
PROBE = """
import glob, json, sys, time
sys.path.insert(0, sys.argv[1])
from legato.expressions import Renderer


def cpu():
    # this process's CPU time and its child processes' (jq or regex children), so that work handed to a child
    # counts, and time spent waiting for a core of the shared machine does not
    total = time.process_time()
    for listing in glob.glob("/proc/self/task/*/children"):
        with open(listing) as f:
            pids = f.read().split()
        for pid in pids:
            try:
                with open(f"/proc/{pid}/schedstat") as f:
                    total += int(f.read().split()[0]) / 1e9
            except (OSError, ValueError, IndexError):
                pass
    return total


workloads, context = json.loads(sys.stdin.readline())
renderer = Renderer()
for template in workloads.values():
    renderer.render(template, context)  # parsed, and any child process started, before timing
print("ready", flush=True)
for line in sys.stdin:
    name, seconds = json.loads(line)
    template, count, start, wall = workloads[name], 0, cpu(), time.perf_counter()
    while True:
        for _ in range(10):
            renderer.render(template, context)
        count += 10
        if time.perf_counter() - wall >= seconds:
            break
    print(json.dumps([(cpu() - start) / count, (time.perf_counter() - wall) / count]), flush=True)
"""


def _probe_context() -> dict[str, object]:
    ctx = context()
    ctx["inputs"] = {**ctx["inputs"], "rows": [{"name": f"r{i}", "n": i} for i in range(20)]}  # type: ignore[dict-item]
    return json.loads(json.dumps(ctx, default=str))  # type: ignore[no-any-return]


class _Probe:
    """A process rendering the workloads on one source tree's engine, timed on request."""

    def __init__(self, src: Path) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", PROBE, str(src)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        self._send([WORKLOADS, _probe_context()])
        if self.proc.stdout.readline().strip() != "ready":  # type: ignore[union-attr]
            raise OSError(f"the benchmark process on {src} did not start")

    def _send(self, message: object) -> None:
        self.proc.stdin.write(json.dumps(message) + "\n")  # type: ignore[union-attr]
        self.proc.stdin.flush()  # type: ignore[union-attr]

    def seconds_per_render(self, name: str, seconds: float) -> tuple[float, float]:
        """(CPU seconds, wall seconds) per render, over a burst of about `seconds`."""
        self._send([name, seconds])
        cpu, wall = json.loads(self.proc.stdout.readline())  # type: ignore[union-attr]
        return float(cpu), float(wall)

    def close(self) -> None:
        self.proc.stdin.close()  # type: ignore[union-attr]
        self.proc.wait(timeout=60)


def limits_overhead(seconds: float = 0.04, bursts: int = 4, rounds: int = 15) -> list[tuple[str, float, float, float]]:
    """(workload, renders/s before the limits, renders/s with them, median overhead in %).

    Two processes, one per engine, take turns: a round is `bursts` short bursts of renders on each side, in
    alternating order. A burst is timed in CPU time of the engine's process and of its child processes (jq
    or regex children count; waiting for a core on the shared machine does not). Each side's figure for the
    round is its fastest burst, and the overhead is the median over the rounds of the ratio of the two sides'
    figures. Renders/s are in CPU time too."""
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", BASELINE, "src/legato"], capture_output=True,
                                 check=True, timeout=120).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True, timeout=120)
        before, after = _Probe(Path(tmp) / "src"), _Probe(ROOT / "src")
        try:
            figures = []
            for name in WORKLOADS:
                old: list[float] = []
                new: list[float] = []
                for _ in range(rounds):
                    times: dict[_Probe, list[float]] = {before: [], after: []}
                    for i in range(bursts):
                        for probe in (before, after) if i % 2 == 0 else (after, before):
                            times[probe].append(probe.seconds_per_render(name, seconds)[0])
                    old.append(min(times[before]))
                    new.append(min(times[after]))
                ratios = [b / a for a, b in zip(old, new, strict=True)]
                figures.append((name, 1 / statistics.median(old), 1 / statistics.median(new),
                                (statistics.median(ratios) - 1) * 100))
            return figures
        finally:
            before.close()
            after.close()


def main() -> None:
    cached = cached_renders_per_second()
    print(f"expressions: cached render of a 10-variable template: {cached:,.0f} renders/s")
    parses = parses_per_second()
    print(f"expressions: first-time parse and compile of the same template: {parses:,.0f} parses/s")
    try:
        figures = limits_overhead()
    except (OSError, subprocess.SubprocessError) as exc:
        print(f"expressions: limits overhead not measured (needs git and commit {BASELINE}): {exc}")
        return
    for name, before, after, overhead in figures:
        print(f"expressions: limits overhead, {name}: {before:,.0f} -> {after:,.0f} renders per CPU second "
              f"({overhead:+.1f} % time per render, median of alternated rounds; goal <= 5 %)")


if __name__ == "__main__":
    main()
