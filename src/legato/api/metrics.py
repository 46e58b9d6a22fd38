"""HTTP request counters and latency histograms, and the Prometheus text exposition format."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable

# Upper bounds (seconds) of the latency histogram's buckets.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """Thread-safe per-route request counts and latencies (routes by template, so labels stay few)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, str, str], int] = defaultdict(int)
        self._buckets: dict[tuple[str, str], list[int]] = {}
        self._sums: dict[tuple[str, str], float] = defaultdict(float)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        with self._lock:
            self._requests[(method, route, str(status))] += 1
            counts = self._buckets.setdefault((method, route), [0] * (len(BUCKETS) + 1))
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    counts[i] += 1
            counts[-1] += 1
            self._sums[(method, route)] += seconds

    def lines(self) -> list[str]:
        with self._lock:
            requests = dict(self._requests)
            buckets = {k: list(v) for k, v in self._buckets.items()}
            sums = dict(self._sums)
        out = ["# HELP legato_http_requests_total HTTP requests served, by method, route and status.",
               "# TYPE legato_http_requests_total counter"]
        for (method, route, status), n in sorted(requests.items()):
            out.append(sample("legato_http_requests_total", {"method": method, "route": route, "status": status}, n))
        out += ["# HELP legato_http_request_duration_seconds Time to answer HTTP requests.",
                "# TYPE legato_http_request_duration_seconds histogram"]
        for (method, route), counts in sorted(buckets.items()):
            labels = {"method": method, "route": route}
            for bound, n in zip((*map(str, BUCKETS), "+Inf"), counts, strict=True):
                out.append(sample("legato_http_request_duration_seconds_bucket", {**labels, "le": bound}, n))
            out.append(sample("legato_http_request_duration_seconds_sum", labels, sums[(method, route)]))
            out.append(sample("legato_http_request_duration_seconds_count", labels, counts[-1]))
        return out


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def sample(name: str, labels: dict[str, str], value: float) -> str:
    """One exposition line: name{label="value",...} value."""
    if labels:
        inner = ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items())
        return f"{name}{{{inner}}} {value:g}"
    return f"{name} {value:g}"


def gauge(name: str, help_text: str, samples: Iterable[tuple[dict[str, str], float]]) -> list[str]:
    return [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", *(sample(name, lb, v) for lb, v in samples)]
