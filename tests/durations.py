"""How long each test took in the last runs on this machine (pytest's cache, `.pytest_cache/`), so that a parallel
run hands the longest tests out first (longest-processing-time-first: no long test starts last and keeps one
worker busy after the others are done). Without a record (a fresh clone), tests marked `slow` go first.
Registered by tests/conftest.py."""

from __future__ import annotations

import pytest

KEY = "legato/durations"


def test_id(nodeid: str) -> str:
    """A test's id without the `@group` suffix xdist's loadgroup mode adds."""
    at = nodeid.rfind("@")
    return nodeid[:at] if at > nodeid.rfind("]") else nodeid


class Durations:
    """The plugin: an xdist worker sorts its collection (every worker alike: they read the same cache, written only
    at the end of a run); the controller, or a serial run, records each test's setup + call + teardown time."""

    def __init__(self, config: pytest.Config, *, worker: bool) -> None:
        self.config = config
        self.worker = worker
        self.seen: dict[str, float] = {}

    def _known(self) -> dict[str, float]:
        cache = getattr(self.config, "cache", None)  # None with -p no:cacheprovider
        known = cache.get(KEY, {}) if cache is not None else {}
        return known if isinstance(known, dict) else {}

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        if self.worker:
            known = self._known()
            items.sort(key=lambda item: (-known.get(test_id(item.nodeid), 0.0), item.get_closest_marker("slow") is None))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if not self.worker:
            name = test_id(report.nodeid)
            self.seen[name] = self.seen.get(name, 0.0) + report.duration

    def pytest_sessionfinish(self) -> None:
        """Merge this run's figures into the cache (tests not run this time keep their old one)."""
        cache = getattr(self.config, "cache", None)
        if not self.worker and self.seen and cache is not None:
            cache.set(KEY, {**self._known(), **{k: round(v, 2) for k, v in self.seen.items()}})
