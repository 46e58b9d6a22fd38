"""Throughput of the expression engine: cached renders and first-time parses, on one core."""

from __future__ import annotations

import json
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
import json, sys, time
sys.path.insert(0, sys.argv[1])
from legato.expressions import Renderer
workloads, context, seconds = json.loads(sys.stdin.read())
renderer, out = Renderer(), {}
for name, template in workloads.items():
    renderer.render(template, context)
    best = 0.0
    for _ in range(5):
        count, start = 0, time.process_time()
        while time.process_time() - start < seconds / 5:
            for _ in range(20):
                renderer.render(template, context)
            count += 20
        best = max(best, count / (time.process_time() - start))
    out[name] = best
print(json.dumps(out))
"""


def _probe_context() -> dict[str, object]:
    ctx = context()
    ctx["inputs"] = {**ctx["inputs"], "rows": [{"name": f"r{i}", "n": i} for i in range(20)]}  # type: ignore[dict-item]
    return json.loads(json.dumps(ctx, default=str))  # type: ignore[no-any-return]


def _rates(src: Path, seconds: float) -> dict[str, float]:
    """Renders per second (CPU time, best of 5 rounds) of each workload, in a fresh process on `src`'s engine."""
    done = subprocess.run([sys.executable, "-c", PROBE, str(src)], input=json.dumps([WORKLOADS, _probe_context(), seconds]),
                          capture_output=True, text=True, check=True, timeout=600)
    rates: dict[str, float] = json.loads(done.stdout)
    return rates


def limits_overhead(seconds: float = 1.0, rounds: int = 2) -> list[tuple[str, float, float]]:
    """(workload, renders/s before the limits, renders/s with them); best of `rounds` alternated runs."""
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", BASELINE, "src/legato"], capture_output=True,
                                 check=True, timeout=120).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True, timeout=120)
        before: dict[str, float] = {}
        after: dict[str, float] = {}
        for _ in range(rounds):  # alternated, so a burst of load on the machine hits both sides
            for best, src in ((before, Path(tmp) / "src"), (after, ROOT / "src")):
                for name, rate in _rates(src, seconds).items():
                    best[name] = max(best.get(name, 0.0), rate)
    return [(name, before[name], after[name]) for name in WORKLOADS]


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
    for name, before, after in figures:
        print(f"expressions: limits overhead, {name}: {before:,.0f} -> {after:,.0f} renders/s "
              f"({(before / after - 1) * 100:+.1f} % time per render)")


if __name__ == "__main__":
    main()
