"""Throughput of the expression engine: cached renders and first-time parses, on one core."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

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


def main() -> None:
    cached = cached_renders_per_second()
    print(f"expressions: cached render of a 10-variable template: {cached:,.0f} renders/s")
    parses = parses_per_second()
    print(f"expressions: first-time parse and compile of the same template: {parses:,.0f} parses/s")


if __name__ == "__main__":
    main()
