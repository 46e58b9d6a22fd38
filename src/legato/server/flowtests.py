"""`legato test`: test suites run with no server. Each process opens a throw-away SQLite store in a temp
directory, deploys the repository's flows and namespace files into it, runs an executor and a worker in
process (the `Runtime`) and plays its share of the test cases; the cases are spread over several processes."""

from __future__ import annotations

import asyncio
import multiprocessing
import tempfile
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from legato import config
from legato.clock import utcnow
from legato.deploy.layout import Repository
from legato.flowtests.runner import DEFAULT_TIMEOUT, SuiteResult, TestEnv, overall, run_suite
from legato.flowtests.suite import parse_suite
from legato.server.compose import Runtime
from legato.services import flows as flow_service
from legato.services.principal import SYSTEM
from legato.storage import namespace_files
from legato.store.ports import Store
from legato.store.sql import open_store


@dataclass(frozen=True)
class Share:
    """What one process runs: every flow and namespace file (a case may call subflows), and some cases."""

    flows: tuple[tuple[str, str], ...]  # (file name, source)
    files: tuple[tuple[str, str, str], ...]  # (namespace, /path, local file)
    suites: tuple[tuple[str, str, tuple[str, ...]], ...]  # (file name, source, the case ids to run)
    timeout: float


def run(repo: Repository, *, processes: int = 2, timeout: float = DEFAULT_TIMEOUT) -> list[SuiteResult]:
    """Run every suite of `repo`, its cases spread round-robin over `processes` processes; one result per
    suite, in the repository's order."""
    flows = tuple((str(f.path), f.source) for f in repo.flows)
    files = tuple((ns, path, str(local)) for (ns, path), local in repo.files.items())
    units = [(i, case.id) for i, s in enumerate(repo.suites) for case in s.suite.testCases]
    count = max(1, min(processes, len(units)))
    shares = []
    for k in range(count):
        mine = units[k::count]
        suites = tuple((str(s.path), s.source, tuple(c for i, c in mine if i == n))
                       for n, s in enumerate(repo.suites) if any(i == n for i, _ in mine))
        shares.append(Share(flows, files, suites, timeout))
    if count == 1:
        parts = [run_share(shares[0])]
    else:
        # fork: the children start from this process's imports, in well under a second
        with ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("fork")) as pool:
            parts = list(pool.map(run_share, shares))
    return _merge(repo, [r for part in parts for r in part])


def _merge(repo: Repository, partial: Sequence[SuiteResult]) -> list[SuiteResult]:
    merged = []
    for s in repo.suites:
        mine = [r for r in partial if r.source == str(s.path)]
        if not mine:
            continue
        order = {c.id: n for n, c in enumerate(s.suite.testCases)}
        cases = sorted((c for r in mine for c in r.results), key=lambda c: order[c.testId])
        first = mine[0]
        merged.append(SuiteResult(id=first.id, testSuiteId=first.testSuiteId, namespace=first.namespace,
                                  flowId=first.flowId, state=overall([c.state for c in cases]),
                                  startDate=min(r.startDate for r in mine), endDate=max(r.endDate for r in mine),
                                  results=cases, source=first.source))
    return merged


def run_share(share: Share) -> list[SuiteResult]:
    """Run one process's share on its own throw-away store."""
    with tempfile.TemporaryDirectory(prefix="legato-test-") as tmp:
        store = open_store(config.sqlite_url(Path(tmp)))
        store.migrate()
        try:
            return asyncio.run(_run(store, share, Path(tmp)))
        finally:
            store.close()


async def _run(store: Store, share: Share, data_dir: Path) -> list[SuiteResult]:
    now = utcnow()
    for name, source in share.flows:
        flow_service.deploy(store, source, by=SYSTEM, now=now, name=name)
    runtime = Runtime(store, poll_seconds=0.2, data_dir=data_dir, lease=timedelta(seconds=60))
    for ns, path, local in share.files:
        runtime.storage.put(namespace_files.file_uri(ns, path), Path(local).read_bytes())
    env = TestEnv(store, runtime.flows, runtime.storage, runtime.renderer, utcnow)
    stopping = asyncio.Event()
    roles = asyncio.create_task(runtime.run(stopping), name="runtime")
    try:
        suites = [(name, parse_suite(source, name), only) for name, source, only in share.suites]
        return list(await asyncio.gather(*(run_suite(env, suite, only=only, timeout=share.timeout, source=name)
                                           for name, suite, only in suites)))
    finally:
        stopping.set()
        await roles
